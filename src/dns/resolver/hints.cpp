#include "dns/resolver/hints.hpp"

#include <algorithm>
#include <cstddef>

#include "dns/master.hpp"
#include "dns/rdata.hpp"

namespace l7::dns {

namespace {

// Hand-written hints (the lab's) often leave the TTL out, which the master format allows only
// after an earlier TTL or a $TTL line (RFC 1035 section 5.1, RFC 2308 section 4); hints are
// only a starting point, so a default is harmless. The $TTL line put
// in front shifts every line by one, taken back here.
constexpr std::string_view kDefaultTtlLine = "$TTL 3600000\n";

std::string where(const MasterFile& file, SourceLine at) {
    return file.files.at(at.file) + ":" + std::to_string(at.line > 0 ? at.line - 1 : 0) + ": ";
}

// "file:line: message" for the first error, with the number of others, as one sentence.
Error first_error(const MasterFile& file) {
    std::size_t errors = 0;
    const MasterProblem* first = nullptr;
    for (const MasterProblem& p : file.problems) {
        if (p.error) {
            first = first == nullptr ? &p : first;
            ++errors;
        }
    }
    std::string message = where(file, first->where) + first->message;
    if (errors > 1) {
        message += " (and " + std::to_string(errors - 1) + " more errors)";
    }
    return make_error(std::move(message));
}

RootServer* find_server(std::vector<RootServer>& servers, const Name& name) {
    const auto it = std::find_if(servers.begin(), servers.end(),
                                 [&](const RootServer& s) { return s.name == name; });
    return it == servers.end() ? nullptr : &*it;
}

void add_address(RootServer& server, HostPort address) {
    const bool seen = std::any_of(server.addresses.begin(), server.addresses.end(),
                                  [&](const HostPort& a) { return a.host == address.host; });
    if (!seen) {
        server.addresses.push_back(std::move(address));
    }
}

}  // namespace

Result<RootHints> RootHints::from_servers(std::span<const std::string> addr_ports) {
    if (addr_ports.empty()) {
        return make_error("no root server given: expected at least one ADDR:PORT");
    }
    RootHints hints;
    for (const std::string& text : addr_ports) {
        auto address = parse_host_port(text, kDnsPort);
        if (!address) {
            return make_error("root server " + address.error().message);
        }
        if (!address->is_address_literal()) {
            return make_error("root server '" + text +
                              "' must be an IP address, such as 127.10.1.1:53 or [::1]:53");
        }
        const std::string label = "root" + std::to_string(hints.servers.size() + 1);
        auto name = Name::parse(label + ".hints.invalid.");
        hints.servers.push_back(RootServer{std::move(*name), {std::move(*address)}});
    }
    return hints;
}

std::vector<std::string> RootHints::endpoints() const {
    std::vector<std::string> out;
    for (const RootServer& s : servers) {
        for (const HostPort& a : s.addresses) {
            out.push_back(a.to_string());
        }
    }
    return out;
}

std::size_t RootHints::address_count() const {
    std::size_t n = 0;
    for (const RootServer& s : servers) {
        n += s.addresses.size();
    }
    return n;
}

Result<RootHints> parse_root_hints(std::string_view text, const std::string& file_name,
                                   std::uint16_t port) {
    const MasterFile file =
        parse_master(std::string(kDefaultTtlLine) + std::string(text), file_name, Name());
    if (file.has_errors()) {
        return first_error(file);
    }

    // The NS records first, whatever their place in the file: they say which names count.
    RootHints hints;
    for (const MasterRecord& r : file.records) {
        if (r.rr.type != RRType::NS) {
            continue;
        }
        if (!r.rr.owner.is_root()) {
            return make_error(where(file, r.where) + "NS record for '" + r.rr.owner.to_text() +
                              "': root hints hold only the root's (.) NS records");
        }
        auto target = Name::from_wire(
            std::string_view(reinterpret_cast<const char*>(r.rr.rdata.data()), r.rr.rdata.size()));
        if (target && find_server(hints.servers, *target) == nullptr) {
            hints.servers.push_back(RootServer{std::move(*target), {}});
        }
    }
    if (hints.servers.empty()) {
        return make_error(file_name + ": no NS record for the root (.)");
    }

    // Addresses: IPv4 before IPv6, so a resolver that tries them in order starts with the
    // family every host has.
    for (const RRType type : {RRType::A, RRType::AAAA}) {
        for (const MasterRecord& r : file.records) {
            RootServer* server =
                r.rr.type == type ? find_server(hints.servers, r.rr.owner) : nullptr;
            if (server != nullptr) {
                add_address(*server, HostPort{rdata_to_text(type, r.rr.rdata), port});
            }
        }
    }
    if (hints.address_count() == 0) {
        return make_error(file_name +
                          ": no A or AAAA record for any root server named by the NS records");
    }
    return hints;
}

Result<RootHints> load_root_hints(const std::string& path, std::uint16_t port) {
    auto text = read_text_file(path);
    if (!text) {
        return text.error();
    }
    return parse_root_hints(*text, path, port);
}

}  // namespace l7::dns
