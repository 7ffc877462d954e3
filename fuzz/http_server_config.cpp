// `l7 http serve --config` files from arbitrary text: parse_server_config() either throws
// ConfigError or returns hosts that each have a name, a root and one default among them.
// Roots are resolved against /, so "root = 'tmp'" and the like can succeed.

#include <cstdint>
#include <string_view>

#include "core/config.hpp"
#include "fuzz_check.hpp"
#include "http/server_config.hpp"

using namespace l7::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    try {
        const ServerConfig config = parse_server_config(text, "fuzz.toml", "/");
        L7_FUZZ_CHECK(!config.hosts.empty());
        int defaults = 0;
        for (const HostConfig& h : config.hosts) {
            L7_FUZZ_CHECK(!h.names.empty() && !h.root.empty());
            defaults += h.is_default ? 1 : 0;
            for (const RedirectRule& r : h.redirects) {
                L7_FUZZ_CHECK(r.from.front() == '/' && !r.to.empty());
            }
        }
        L7_FUZZ_CHECK(defaults == 1);
    } catch (const l7::config::ConfigError&) {
    }
    return 0;
}
