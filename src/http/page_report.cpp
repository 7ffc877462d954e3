#include "http/page_report.hpp"

#include <algorithm>
#include <cstdio>

#include "core/json.hpp"

namespace l7::http {
namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// 81.3ms below a second, 1.21s above.
std::string human_ms(double ms) {
    return ms < 1000 ? fixed(ms, 1) + "ms" : fixed(ms / 1000, 2) + "s";
}

std::string pad_right(std::string s, std::size_t width) {
    if (s.size() < width) {
        s.append(width - s.size(), ' ');
    }
    return s;
}

std::string pad_left(const std::string& s, std::size_t width) {
    return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

// How an object is named in a table: its path on the page's origin, its full URL elsewhere;
// long names are cut in the middle so both the host and the file stay visible.
std::string object_name(const ObjectTiming& o) {
    std::string name = o.url;
    if (o.same_origin) {
        const std::size_t scheme = name.find("://");
        const std::size_t path = scheme == std::string::npos ? 0 : name.find('/', scheme + 3);
        if (path != std::string::npos) {
            name = name.substr(path);
        }
    }
    constexpr std::size_t max = 48;
    if (name.size() > max) {
        name = name.substr(0, max / 2 - 2) + "..." + name.substr(name.size() - (max / 2 - 1));
    }
    return name;
}

std::size_t name_width(const PageLoad& load) {
    std::size_t w = 6;
    for (const ObjectTiming& o : load.objects) {
        w = std::max(w, object_name(o).size());
    }
    return w;
}

void append_number(std::string& out, const char* key, double v) {
    out += ",\"";
    out += key;
    out += "\":" + fixed(v, 3);
}

void append_object(std::string& out, const ObjectTiming& o) {
    out += "{\"url\":";
    json::append_string(out, o.url);
    out += ",\"element\":";
    json::append_string(out, o.element);
    out += ",\"same_origin\":";
    out += o.same_origin ? "true" : "false";
    out += ",\"status\":" + std::to_string(o.status);
    out += ",\"bytes\":" + std::to_string(o.bytes);
    out += ",\"connection\":" + std::to_string(o.connection);
    append_number(out, "start_ms", o.start_ms);
    append_number(out, "ms", o.ms);
    if (!o.error.empty()) {
        out += ",\"error\":";
        json::append_string(out, o.error);
    }
    out += '}';
}

}  // namespace

std::string PageMode::name() const {
    switch (kind) {
        case LoadMode::non_persistent:
            return "non-persistent";
        case LoadMode::persistent:
            return "persistent";
        case LoadMode::pipelined:
            return "pipelined";
        case LoadMode::parallel:
            return "parallel=" + std::to_string(connections);
    }
    return "?";
}

Result<std::vector<PageMode>> parse_page_modes(std::string_view text) {
    if (text == "all") {
        return std::vector<PageMode>{{LoadMode::non_persistent, 1},
                                     {LoadMode::persistent, 1},
                                     {LoadMode::pipelined, 1},
                                     {LoadMode::parallel, kDefaultParallel}};
    }
    if (text == "non-persistent") {
        return std::vector<PageMode>{{LoadMode::non_persistent, 1}};
    }
    if (text == "persistent") {
        return std::vector<PageMode>{{LoadMode::persistent, 1}};
    }
    if (text == "pipelined") {
        return std::vector<PageMode>{{LoadMode::pipelined, 1}};
    }
    if (text == "parallel") {
        return std::vector<PageMode>{{LoadMode::parallel, kDefaultParallel}};
    }
    if (text.substr(0, 9) == "parallel=") {
        const std::string_view digits = text.substr(9);
        unsigned n = 0;
        bool ok = !digits.empty() && digits.size() <= 3;
        for (char c : digits) {
            ok = ok && c >= '0' && c <= '9';
            n = n * 10 + static_cast<unsigned>(c - '0');
        }
        if (!ok || n < 1 || n > kMaxParallel) {
            return make_error("parallel=N needs N from 1 to " + std::to_string(kMaxParallel));
        }
        return std::vector<PageMode>{{LoadMode::parallel, n}};
    }
    return make_error("unknown mode '" + std::string(text) +
                      "' (non-persistent, persistent, pipelined, parallel=N or all)");
}

std::uint64_t PageLoad::body_bytes() const {
    std::uint64_t sum = 0;
    for (const ObjectTiming& o : objects) {
        sum += o.bytes;
    }
    return sum;
}

double PageLoad::handshake_ms() const {
    std::vector<double> v;
    for (const ConnectionTiming& c : connections) {
        v.push_back(c.connect_ms);
    }
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

double PageLoad::rtt_ms() const {
    double best = -1;
    for (const ConnectionTiming& c : connections) {
        if (c.first_byte_ms >= 0) {
            const double setup = (c.connect_ms + c.first_byte_ms) / 2;
            best = best < 0 ? setup : std::min(best, setup);
        }
    }
    return best < 0 ? handshake_ms() : best;
}

double PageLoad::rtts_spent() const {
    const double rtt = rtt_ms();
    return rtt > 0 ? total_ms / rtt : 0;
}

std::size_t PageLoad::failures() const {
    return static_cast<std::size_t>(std::count_if(
        objects.begin(), objects.end(), [](const ObjectTiming& o) { return o.status == 0; }));
}

std::string summary_line(const PageLoad& load) {
    std::string line = "mode=" + load.mode.name() +
                       " objects=" + std::to_string(load.object_count()) +
                       " connections=" + std::to_string(load.connections.size()) +
                       " rtt=" + human_ms(load.rtt_ms()) + " total=" + human_ms(load.total_ms) +
                       " (" + fixed(load.rtts_spent(), 1) + " RTT)";
    if (const std::size_t failed = load.failures(); failed > 0) {
        line += " failed=" + std::to_string(failed);
    }
    return line;
}

std::string report_table(const PageLoad& load) {
    const std::size_t w = name_width(load);
    std::string out = pad_right("object", w) + "  status      bytes  conn   start ms    time ms\n";
    for (const ObjectTiming& o : load.objects) {
        const bool answered = o.status != 0;
        out += pad_right(object_name(o), w) + "  " +
               pad_left(answered ? std::to_string(o.status) : "-", 6) + " " +
               pad_left(std::to_string(o.bytes), 10) + " " +
               pad_left(o.connection > 0 ? std::to_string(o.connection) : "-", 5) + " " +
               pad_left(o.start_ms >= 0 ? fixed(o.start_ms, 1) : "-", 10) + " " +
               pad_left(o.start_ms >= 0 ? fixed(o.ms, 1) : "-", 10);
        if (!o.error.empty()) {
            out += "  " + o.error;
        }
        out += '\n';
    }
    if (load.skipped_refs > 0 || load.refs_truncated) {
        out += "(skipped: " + std::to_string(load.skipped_refs) +
               " reference(s) that are not http or https URLs" +
               (load.refs_truncated ? "; more references than --max-objects" : "") + ")\n";
    }
    out += summary_line(load) + '\n';
    return out;
}

std::string comparison_table(const std::vector<PageLoad>& loads) {
    if (loads.empty()) {
        return {};
    }
    const PageLoad& first = loads.front();
    std::size_t w = std::max<std::size_t>(name_width(first), 14);
    std::size_t col = 12;
    for (const PageLoad& l : loads) {
        col = std::max(col, l.mode.name().size() + 2);
    }
    std::string out = pad_right("done at (ms)", w);
    for (const PageLoad& l : loads) {
        out += pad_left(l.mode.name(), col);
    }
    out += '\n';
    for (const ObjectTiming& o : first.objects) {
        out += pad_right(object_name(o), w);
        for (const PageLoad& l : loads) {
            auto it = std::find_if(l.objects.begin(), l.objects.end(),
                                   [&](const ObjectTiming& x) { return x.url == o.url; });
            const bool done = it != l.objects.end() && it->status != 0;
            out += pad_left(done ? fixed(it->start_ms + it->ms, 1) : "-", col);
        }
        out += '\n';
    }
    const auto row = [&](const std::string& name, auto value) {
        out += pad_right(name, w);
        for (const PageLoad& l : loads) {
            out += pad_left(value(l), col);
        }
        out += '\n';
    };
    row("connections", [](const PageLoad& l) { return std::to_string(l.connections.size()); });
    row("rtt", [](const PageLoad& l) { return human_ms(l.rtt_ms()); });
    row("total", [](const PageLoad& l) { return human_ms(l.total_ms); });
    row("RTTs spent", [](const PageLoad& l) { return fixed(l.rtts_spent(), 1); });
    for (const PageLoad& l : loads) {
        out += summary_line(l) + '\n';
    }
    return out;
}

std::string to_json(const PageLoad& load) {
    std::string out = "{\"url\":";
    json::append_string(out, load.url);
    out += ",\"mode\":";
    json::append_string(out, load.mode.name());
    if (load.mode.kind == LoadMode::parallel) {
        out += ",\"parallel\":" + std::to_string(load.mode.connections);
    }
    out += ",\"page\":";
    if (!load.objects.empty()) {
        append_object(out, load.objects.front());
    } else {
        out += "null";
    }
    out += ",\"objects\":[";
    for (std::size_t i = 1; i < load.objects.size(); ++i) {
        if (i > 1) {
            out += ',';
        }
        append_object(out, load.objects[i]);
    }
    out += "],\"connections\":[";
    for (std::size_t i = 0; i < load.connections.size(); ++i) {
        const ConnectionTiming& c = load.connections[i];
        out += i > 0 ? ",{" : "{";
        out += "\"number\":" + std::to_string(c.number) + ",\"origin\":";
        json::append_string(out, c.origin);
        append_number(out, "opened_ms", c.opened_ms);
        append_number(out, "connect_ms", c.connect_ms);
        append_number(out, "first_byte_ms", c.first_byte_ms);
        out += ",\"responses\":" + std::to_string(c.responses) + "}";
    }
    out += "],\"connections_opened\":" + std::to_string(load.connections.size());
    out += ",\"peak_connections\":" + std::to_string(load.peak_connections);
    out += ",\"object_count\":" + std::to_string(load.object_count());
    out += ",\"failed\":" + std::to_string(load.failures());
    out += ",\"skipped_refs\":" + std::to_string(load.skipped_refs);
    out += ",\"refs_truncated\":";
    out += load.refs_truncated ? "true" : "false";
    out += ",\"bytes\":" + std::to_string(load.body_bytes());
    out += ",\"wire_bytes\":" + std::to_string(load.wire_bytes);
    append_number(out, "handshake_ms", load.handshake_ms());
    append_number(out, "rtt_ms", load.rtt_ms());
    append_number(out, "total_ms", load.total_ms);
    append_number(out, "rtts", load.rtts_spent());
    out += '}';
    return out;
}

}  // namespace l7::http
