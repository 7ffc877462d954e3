#include "http/content_coding.hpp"

#include <string>

#include "http/fields.hpp"
#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

// The q-value of one element ("gzip;q=0.5"): 1 when absent, 0 when malformed.
double quality(std::string_view parameters) {
    while (!parameters.empty()) {
        const std::size_t semi = parameters.find(';');
        const std::string_view p = trim_ows(parameters.substr(0, semi));
        if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            const std::string_view v = p.substr(2);
            if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) {
                return 0;
            }
            double q = v[0] - '0';
            double scale = 0.1;
            for (std::size_t i = 1; i < v.size(); ++i) {
                if (i == 1) {
                    if (v[1] != '.') {
                        return 0;
                    }
                    continue;
                }
                if (v[i] < '0' || v[i] > '9') {
                    return 0;
                }
                q += (v[i] - '0') * scale;
                scale /= 10;
            }
            return q > 1 ? 0 : q;
        }
        if (semi == std::string_view::npos) {
            break;
        }
        parameters.remove_prefix(semi + 1);
    }
    return 1;
}

}  // namespace

bool accepts_gzip(std::optional<std::string_view> accept_encoding) {
    if (!accept_encoding) {
        return false;  // no preference: the identity coding is the safe choice
    }
    std::optional<double> gzip;
    std::optional<double> any;
    for (std::string_view element : split_list(*accept_encoding)) {
        const std::size_t semi = element.find(';');
        const std::string_view coding = trim_ows(element.substr(0, semi));
        const double q = semi == std::string_view::npos ? 1.0 : quality(element.substr(semi + 1));
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
            gzip = q;
        } else if (coding == "*") {
            any = q;
        }
    }
    if (gzip) {
        return *gzip > 0;
    }
    return any && *any > 0;
}

bool is_compressible(std::string_view content_type) {
    const std::string_view type = trim_ows(content_type.substr(0, content_type.find(';')));
    if (type.size() >= 5 && iequals(type.substr(0, 5), "text/")) {
        return true;
    }
    static constexpr std::string_view kTextual[] = {
        "application/javascript",    "application/json",    "application/xml",
        "application/xhtml+xml",     "application/rss+xml", "application/atom+xml",
        "application/manifest+json", "application/wasm",    "image/svg+xml",
        "application/dash+xml"};
    for (std::string_view t : kTextual) {
        if (iequals(type, t)) {
            return true;
        }
    }
    return false;
}

}  // namespace l7::http
