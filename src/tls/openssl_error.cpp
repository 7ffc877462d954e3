#include "tls/openssl_error.hpp"

#include <openssl/err.h>

#include <cctype>
#include <cstring>

namespace l7::tls {
namespace {

std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

}  // namespace

std::string last_openssl_error() {
    std::string out;
    std::string wrapper;  // the first "came from here" line, used only if nothing else came
    int kept = 0;
    // The queue is bounded by OpenSSL (ERR_NUM_ERRORS); we keep the first few distinct lines.
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
        std::string line;
        if (ERR_SYSTEM_ERROR(code)) {
            // A failed fopen() and the like: errno, which has no reason string of its own.
            line = std::strerror(static_cast<int>(ERR_GET_REASON(code)));
        } else if (const char* reason = ERR_reason_error_string(code); reason != nullptr) {
            line = reason;
        } else {
            char buf[256];
            ERR_error_string_n(code, buf, sizeof buf);
            line = buf;
        }
        // "system lib", "PEM lib": only says which layer passed a failure up, not why.
        const int plain = ERR_GET_REASON(code) & ~ERR_RFLAG_COMMON;
        if (!ERR_SYSTEM_ERROR(code) && ERR_COMMON_ERROR(code) && plain < 256) {
            if (wrapper.empty()) {
                wrapper = line;
            }
            continue;
        }
        // "No such file or directory" from the system and "no such file" from the BIO say
        // the same: compared in lower case, a line contained in an earlier one is dropped.
        if (kept >= 4 || lower(out).find(lower(line)) != std::string::npos) {
            continue;
        }
        out += (out.empty() ? "" : "; ") + line;
        ++kept;
    }
    if (out.empty()) {
        out = wrapper;
    }
    return out.empty() ? "unknown TLS error" : out;
}

}  // namespace l7::tls
