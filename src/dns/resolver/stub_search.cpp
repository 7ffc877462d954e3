#include "dns/resolver/stub_search.hpp"

#include <algorithm>
#include <span>

#include "dns/rdata.hpp"
#include "dns/types.hpp"

namespace l7::dns {

namespace {

// Names listed in a "does not exist" sentence before "and N more".
constexpr std::size_t kNamesInMessage = 4;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::uint16_t read_u16(const Bytes& b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& p : parts) {
        out += (out.empty() ? "" : std::string(separator)) + p;
    }
    return out;
}

StubError bad_name(std::string_view text) {
    auto parsed = Name::parse(text);
    return {StubErrc::bad_name, "'" + std::string(text) + "' is not a domain name" +
                                    (parsed ? std::string() : ": " + parsed.error().message)};
}

StubError no_answer(const StubOutcome& o) {
    return {StubErrc::no_answer, "no server answered for " + o.asked.to_text() + " " +
                                     type_to_text(o.type) + ": " + join(o.reasons, "; ")};
}

std::string types_of(AddressFamily family) {
    switch (family) {
        case AddressFamily::v4:
            return "A";
        case AddressFamily::v6:
            return "AAAA";
        case AddressFamily::any:
            break;
    }
    return "AAAA or A";
}

std::vector<RRType> address_types(AddressFamily family) {
    switch (family) {
        case AddressFamily::v4:
            return {RRType::A};
        case AddressFamily::v6:
            return {RRType::AAAA};
        case AddressFamily::any:
            break;
    }
    return {RRType::AAAA, RRType::A};  // RFC 8305 section 3: AAAA first
}

}  // namespace

std::optional<StubResult<std::vector<std::string>>> addresses_without_dns(
    std::string_view host, AddressFamily family, const std::optional<AddressLiteral>& literal,
    const HostsFile& hosts) {
    if (host.empty()) {
        return bad_name(host);
    }
    if (literal) {
        const bool wanted =
            family == AddressFamily::any || (family == AddressFamily::v6) == literal->ipv6;
        if (!wanted) {
            return StubError{StubErrc::no_data,
                             std::string(host) + " is an " + (literal->ipv6 ? "IPv6" : "IPv4") +
                                 " address, not an " + (literal->ipv6 ? "IPv4" : "IPv6") + " one"};
        }
        return std::vector<std::string>{literal->text};
    }
    std::vector<std::string> ipv6;
    std::vector<std::string> ipv4;
    for (const HostsAddress& a : hosts.lookup(host)) {
        if (a.ipv6 && family != AddressFamily::v4) {
            ipv6.push_back(a.text);
        } else if (!a.ipv6 && family != AddressFamily::v6) {
            ipv4.push_back(a.text);
        }
    }
    if (ipv6.empty() && ipv4.empty()) {
        return std::nullopt;  // glibc: "files" found nothing of the family, so DNS is asked
    }
    return interleave_addresses(ipv6, ipv4);
}

StubResult<Name> absolute_name(std::string_view text) {
    auto name = Name::parse(text);
    if (!name || text.empty()) {
        return bad_name(text);
    }
    return *name;
}

AddressSearch::AddressSearch(std::string_view host, AddressFamily family,
                             std::vector<Name> candidates)
    : host_(host),
      family_(family),
      types_(address_types(family)),
      candidates_(std::move(candidates)) {}

StubResult<AddressSearch> AddressSearch::start(std::string_view host, AddressFamily family,
                                               const ResolvConf& conf) {
    std::vector<Name> names = search_candidates(host, conf);
    if (names.empty()) {
        return bad_name(host);
    }
    return AddressSearch(host, family, std::move(names));
}

const Name* AddressSearch::next_name() const {
    if (found_ || next_ == candidates_.size()) {
        return nullptr;
    }
    return &candidates_[next_];
}

void AddressSearch::add(std::vector<StubOutcome> outcomes) {
    ++next_;
    std::vector<std::string> ipv6;
    std::vector<std::string> ipv4;
    for (const StubOutcome& o : outcomes) {
        for (const Bytes& rd : o.rdatas) {
            (o.type == RRType::AAAA ? ipv6 : ipv4).push_back(rdata_to_text(o.type, rd));
        }
    }
    if (!ipv6.empty() || !ipv4.empty()) {
        found_ = interleave_addresses(ipv6, ipv4);
        return;
    }
    const auto unsettled = std::find_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
        return o.kind == StubOutcome::Kind::unsettled;
    });
    const bool nodata = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) {
        return o.kind == StubOutcome::Kind::no_data;
    });
    if (unsettled != outcomes.end()) {
        if (!unsettled_) {
            unsettled_ = std::move(*unsettled);
        }
    } else if (nodata) {
        if (!nodata_) {
            nodata_ = outcomes.front().asked;
        }
    } else if (!outcomes.empty()) {
        nxdomain_.push_back(outcomes.front().asked.to_text());
    }
}

StubResult<std::vector<std::string>> AddressSearch::result() && {
    if (found_) {
        return std::move(*found_);
    }
    if (nodata_) {
        return StubError{StubErrc::no_data,
                         nodata_->to_text() + " has no " + types_of(family_) + " records"};
    }
    if (unsettled_) {
        return no_answer(*unsettled_);
    }
    if (nxdomain_.size() == 1) {
        return StubError{StubErrc::no_such_name, nxdomain_.front() + " does not exist (NXDOMAIN)"};
    }
    const std::size_t listed = std::min(nxdomain_.size(), kNamesInMessage);
    std::string names =
        join({nxdomain_.begin(), nxdomain_.begin() + static_cast<std::ptrdiff_t>(listed)}, ", ");
    if (nxdomain_.size() > listed) {
        names += " and " + std::to_string(nxdomain_.size() - listed) + " more";
    }
    return StubError{StubErrc::no_such_name,
                     "'" + host_ + "' does not exist: NXDOMAIN for " + names};
}

StubError outcome_error(const StubOutcome& o) {
    switch (o.kind) {
        case StubOutcome::Kind::no_such_name:
            return {StubErrc::no_such_name, o.asked.to_text() + " does not exist (NXDOMAIN)"};
        case StubOutcome::Kind::no_data:
            return {StubErrc::no_data,
                    o.asked.to_text() + " has no " + type_to_text(o.type) + " records"};
        case StubOutcome::Kind::data:
        case StubOutcome::Kind::unsettled:
            break;
    }
    return no_answer(o);
}

StubResult<std::vector<MxTarget>> mx_result(const StubOutcome& o,
                                            const std::function<std::uint64_t()>& random) {
    if (o.kind != StubOutcome::Kind::data) {
        return outcome_error(o);
    }
    std::vector<MxTarget> targets;
    bool null_mx = false;
    for (const Bytes& rd : o.rdatas) {
        if (rd.size() < 3) {
            continue;  // not an MX RDATA; decode_message lets none through
        }
        auto exchange = Name::from_wire(as_text(std::span(rd).subspan(2)));
        if (!exchange) {
            continue;
        }
        if (exchange->is_root()) {
            null_mx = true;  // RFC 7505 section 3: "." is no exchange, never a host to try
            continue;
        }
        targets.push_back({read_u16(rd, 0), std::move(*exchange)});
    }
    if (targets.empty()) {
        if (null_mx) {
            return StubError{StubErrc::no_service,
                             o.asked.to_text() + " accepts no mail (null MX, RFC 7505)"};
        }
        return StubError{StubErrc::no_data, o.asked.to_text() + " has no usable MX records"};
    }
    return order_mx(std::move(targets), random);
}

StubResult<std::vector<SrvTarget>> srv_result(const StubOutcome& o,
                                              const std::function<std::uint64_t()>& random) {
    if (o.kind != StubOutcome::Kind::data) {
        return outcome_error(o);
    }
    std::vector<SrvTarget> targets;
    bool declined = false;
    for (const Bytes& rd : o.rdatas) {
        if (rd.size() < 7) {
            continue;
        }
        auto target = Name::from_wire(as_text(std::span(rd).subspan(6)));
        if (!target) {
            continue;
        }
        if (target->is_root()) {
            declined = true;  // RFC 2782: "." means the service is decidedly not available
            continue;
        }
        targets.push_back({read_u16(rd, 0), read_u16(rd, 2), read_u16(rd, 4), std::move(*target)});
    }
    if (targets.empty()) {
        if (declined) {
            return StubError{StubErrc::no_service,
                             o.asked.to_text() +
                                 " says the service is not available there (SRV target \".\", "
                                 "RFC 2782)"};
        }
        return StubError{StubErrc::no_data, o.asked.to_text() + " has no usable SRV records"};
    }
    return order_srv(std::move(targets), random);
}

}  // namespace l7::dns
