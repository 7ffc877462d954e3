#include "mail/relay/route.hpp"

#include <algorithm>

#include "mail/header.hpp"

namespace l7::mail {
namespace {

std::string canonical_host(std::string_view name) {
    while (!name.empty() && name.back() == '.') {
        name.remove_suffix(1);
    }
    return ascii_lowercase(name);
}

bool is_own_name(std::string_view host, std::span<const std::string> own_names) {
    const std::string h = canonical_host(host);
    return std::any_of(own_names.begin(), own_names.end(),
                       [&](const std::string& own) { return canonical_host(own) == h; });
}

}  // namespace

std::string recipient_domain(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos) {
        return {};
    }
    return canonical_host(address.substr(at + 1));
}

Result<std::vector<RelayHost>, RouteFailure> route_mail(
    std::string_view domain, const dns::StubResult<std::vector<dns::MxTarget>>& mx,
    std::span<const std::string> own_names) {
    const std::string name = canonical_host(domain);
    if (!mx) {
        switch (mx.error().code) {
            case dns::StubErrc::no_data:
                return std::vector<RelayHost>{RelayHost{name, 0}};
            case dns::StubErrc::no_service:
                return RouteFailure{true, "5.1.10",
                                    name + ": the domain accepts no mail (null MX)"};
            case dns::StubErrc::no_such_name:
                return RouteFailure{true, "5.1.2", name + ": no such domain"};
            case dns::StubErrc::bad_name:
                return RouteFailure{true, "5.1.2", name + ": not a valid domain name"};
            case dns::StubErrc::no_answer:
                break;
        }
        return RouteFailure{false, "4.4.3", name + ": MX lookup failed: " + mx.error().message};
    }
    std::vector<RelayHost> hosts;
    for (const dns::MxTarget& target : *mx) {
        const std::string exchange = canonical_host(target.exchange.to_text());
        if (is_own_name(exchange, own_names)) {
            // Ourselves: only the more preferred exchanges (those already taken) remain.
            while (!hosts.empty() && hosts.back().preference >= target.preference) {
                hosts.pop_back();
            }
            if (hosts.empty()) {
                return RouteFailure{
                    true, "5.4.6", name + ": mail loops back to myself (this host is its best MX)"};
            }
            break;
        }
        hosts.push_back(RelayHost{exchange, target.preference});
    }
    if (hosts.empty()) {
        return RouteFailure{true, "5.1.2", name + ": no mail exchanger"};
    }
    return hosts;
}

}  // namespace l7::mail
