#pragma once
// The rules of a stub lookup around its questions (dns/asio/stub_resolver.hpp explains the
// whole): what is answered without DNS, which names are asked, and how the questions'
// outcomes (stub_question.hpp) become the lookup's result. Sans-I/O: the driver asks the
// questions and passes the outcomes in; random numbers come from the caller's source.
//
//   - Addresses: an IP literal is its own answer; then the hosts file, when it lists the name
//     with an address of the family asked. Otherwise AddressSearch walks the search list
//     (search_candidates, glibc's res_search order), asking AAAA and A for each name, and
//     stops at the first name with addresses, interleaved for Happy Eyeballs.
//   - MX and SRV: one fully qualified name (RFC 5321 section 2.3.5, RFC 2782), one question;
//     null MX and SRV target "." mean "no service" (RFC 7505, RFC 2782).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver/hosts_file.hpp"
#include "dns/resolver/ordering.hpp"
#include "dns/resolver/resolv_conf.hpp"
#include "dns/resolver/stub_question.hpp"
#include "dns/resolver/stub_result.hpp"

namespace l7::dns {

// An IP address literal as the driver parsed it (with Asio, which knows the scope ids of
// link-local IPv6 addresses): the family, and the canonical text.
struct AddressLiteral {
    bool ipv6 = false;
    std::string text;
};

// The answer for `host` that needs no DNS: bad_name for an empty host; `literal` (the host
// parsed as an address, when it is one) itself, or no_data when it is of the other family;
// the hosts file's addresses of the family, interleaved. nullopt: ask DNS.
std::optional<StubResult<std::vector<std::string>>> addresses_without_dns(
    std::string_view host, AddressFamily family, const std::optional<AddressLiteral>& literal,
    const HostsFile& hosts);

// The name an MX or SRV lookup asks: `text` taken as fully qualified ("example.com" means
// example.com. whatever the search list says), or bad_name.
StubResult<Name> absolute_name(std::string_view text);

// The search for addresses over candidate names, one name at a time: the driver asks each of
// types() for next_name() and passes the outcomes to add(), until next_name() is null.
class AddressSearch {
  public:
    // bad_name when `host` gives no candidate (it is not a domain name, or is too long).
    static StubResult<AddressSearch> start(std::string_view host, AddressFamily family,
                                           const ResolvConf& conf);

    // The name to ask next; nullptr once a name gave addresses or every name was tried. Valid
    // until the next add().
    const Name* next_name() const;
    // The types to ask for each name: AAAA then A (RFC 8305 section 3), or the one family.
    const std::vector<RRType>& types() const { return types_; }
    // The outcomes of next_name()'s questions, one per type.
    void add(std::vector<StubOutcome> outcomes);

    // Once next_name() is null: the addresses, or the error by glibc's precedence across names
    // (res_search): a name without data of the type, then a name no server settled, then "no
    // such name". Inside one name, a family not settled makes the name unsettled: "no
    // addresses" would be a guess.
    StubResult<std::vector<std::string>> result() &&;

  private:
    AddressSearch(std::string_view host, AddressFamily family, std::vector<Name> candidates);

    std::string host_;
    AddressFamily family_;
    std::vector<RRType> types_;
    std::vector<Name> candidates_;
    std::size_t next_ = 0;
    std::optional<std::vector<std::string>> found_;
    std::optional<Name> nodata_;
    std::optional<StubOutcome> unsettled_;
    std::vector<std::string> nxdomain_;
};

// The error for one question that did not give data: no_such_name, no_data or no_answer (with
// the servers' reasons).
StubError outcome_error(const StubOutcome& outcome);

// An MX question's outcome as the lookup's result: the exchanges by preference (equal ones
// shuffled with `random`), no_service for a null MX (RFC 7505), no_data when nothing usable.
StubResult<std::vector<MxTarget>> mx_result(const StubOutcome& outcome,
                                            const std::function<std::uint64_t()>& random);

// An SRV question's outcome: the targets by priority and weighted selection (RFC 2782, with
// `random`), no_service when the only target is ".", no_data when nothing usable.
StubResult<std::vector<SrvTarget>> srv_result(const StubOutcome& outcome,
                                              const std::function<std::uint64_t()>& random);

}  // namespace l7::dns
