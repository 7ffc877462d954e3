#include "dns/message_text.hpp"

#include "dns/rdata.hpp"

namespace l7::dns {
namespace {

std::string flags_text(const Message& m) {
    const Header& h = m.header;
    std::string out;
    auto flag = [&](bool on, const char* name) {
        if (on) {
            if (!out.empty()) {
                out += ' ';
            }
            out += name;
        }
    };
    flag(h.qr, "qr");
    flag(h.aa, "aa");
    flag(h.tc, "tc");
    flag(h.rd, "rd");
    flag(h.ra, "ra");
    flag(h.ad, "ad");
    flag(h.cd, "cd");
    return out;
}

void append_section(std::string& out, const char* title, const std::vector<ResourceRecord>& rrs) {
    if (rrs.empty()) {
        return;
    }
    out += "\n;; ";
    out += title;
    out += " SECTION:\n";
    for (const ResourceRecord& rr : rrs) {
        out += format_record(rr);
        out += '\n';
    }
}

}  // namespace

std::string format_record(const ResourceRecord& rr) {
    std::string out = rr.owner.to_text();
    out += '\t';
    out += std::to_string(rr.ttl);
    out += '\t';
    out += class_to_text(rr.klass);
    out += '\t';
    out += type_to_text(rr.type);
    out += '\t';
    out += rdata_to_text(rr.type, rr.rdata);
    return out;
}

std::string format_question(const Question& q) {
    return ";" + q.name.to_text() + "\t\t" + class_to_text(q.klass) + "\t" + type_to_text(q.type);
}

std::string format_message(const Message& m) {
    const bool opt = m.edns.has_value();
    std::string out = ";; ->>HEADER<<- opcode: " + opcode_to_text(m.header.opcode) +
                      ", status: " + rcode_to_text(m.rcode()) +
                      ", id: " + std::to_string(m.header.id) + "\n;; flags: " + flags_text(m) +
                      "; QUERY: " + std::to_string(m.questions.size()) +
                      ", ANSWER: " + std::to_string(m.answers.size()) +
                      ", AUTHORITY: " + std::to_string(m.authority.size()) +
                      ", ADDITIONAL: " + std::to_string(m.additional.size() + (opt ? 1 : 0)) + "\n";
    if (m.header.qr && m.header.rd && !m.header.ra) {
        out += ";; WARNING: recursion requested but not available\n";
    }
    if (opt) {
        const Edns& e = *m.edns;
        out += "\n;; OPT PSEUDOSECTION:\n; EDNS: version: " + std::to_string(e.version) +
               ", flags:" + (e.dnssec_ok ? " do" : "") + "; udp: " + std::to_string(e.udp_size) +
               "\n";
        for (const EdnsOption& o : e.options) {
            out += "; OPTION " + std::to_string(o.code) + ": " + hex_encode(o.data) + "\n";
        }
    }
    if (!m.questions.empty()) {
        out += opt ? ";; QUESTION SECTION:\n" : "\n;; QUESTION SECTION:\n";
        for (const Question& q : m.questions) {
            out += format_question(q);
            out += '\n';
        }
    }
    append_section(out, "ANSWER", m.answers);
    append_section(out, "AUTHORITY", m.authority);
    append_section(out, "ADDITIONAL", m.additional);
    return out;
}

std::string summarize_message(const Message& m) {
    std::string out = "id " + std::to_string(m.header.id) + " " + opcode_to_text(m.header.opcode);
    if (m.header.qr) {
        out += " " + rcode_to_text(m.rcode());
    }
    const std::string flags = flags_text(m);
    if (!flags.empty()) {
        out += " " + flags;
    }
    if (!m.questions.empty()) {
        const Question& q = m.questions.front();
        out += ", " + q.name.to_text() + " " + class_to_text(q.klass) + " " + type_to_text(q.type);
    }
    if (m.header.qr) {
        out += ": " + std::to_string(m.answers.size()) + " answer, " +
               std::to_string(m.authority.size()) + " authority, " +
               std::to_string(m.additional.size()) + " additional";
    }
    if (m.edns) {
        out += m.edns->dnssec_ok ? " (EDNS, DO)" : " (EDNS)";
    }
    return out;
}

}  // namespace l7::dns
