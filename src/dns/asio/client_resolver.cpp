#include "dns/asio/client_resolver.hpp"

#include <asio/ip/address.hpp>
#include <cstdlib>
#include <memory>
#include <mutex>

namespace l7::dns {

Result<std::vector<HostPort>> resolvers_from_environment() {
    std::vector<HostPort> servers;
    const char* value = std::getenv("L7_RESOLVER");
    if (value == nullptr) {
        return servers;
    }
    std::string_view rest(value);
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string entry(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (entry.empty()) {
            continue;
        }
        // A bare address (IPv6 ones contain colons) takes the DNS port.
        std::error_code ec;
        (void)asio::ip::make_address(entry, ec);
        auto hp = ec ? parse_host_port(entry) : Result<HostPort>(HostPort{entry, 53});
        if (!hp || !hp->is_address_literal()) {
            return make_error("L7_RESOLVER: '" + entry +
                              "' is not ADDR or ADDR:PORT with an IP address");
        }
        servers.push_back(*hp);
    }
    return servers;
}

Result<StubResolver*> client_resolver() {
    static std::mutex mutex;
    static std::unique_ptr<StubResolver> resolver;
    static std::string failure;
    const std::lock_guard lock(mutex);
    if (!resolver && failure.empty()) {
        StubOptions options;
        auto servers = resolvers_from_environment();
        if (!servers) {
            failure = servers.error().message;
        } else {
            options.servers = std::move(*servers);
            auto created = StubResolver::create(std::move(options));
            if (created) {
                resolver = std::make_unique<StubResolver>(std::move(*created));
            } else {
                failure = created.error().message;
            }
        }
    }
    if (!resolver) {
        return make_error(failure);
    }
    return resolver.get();
}

Result<std::vector<std::string>> resolve_host(std::string_view host) {
    std::error_code ec;
    const auto literal = asio::ip::make_address(std::string(host), ec);
    if (!ec) {
        return std::vector<std::string>{literal.to_string()};
    }
    auto resolver = client_resolver();
    if (!resolver) {
        return resolver.error();
    }
    auto found = (*resolver)->lookup_addresses(host);
    if (!found) {
        return make_error(found.error().message);
    }
    return std::move(*found);
}

}  // namespace l7::dns
