#pragma once
// What a stub lookup gives back (dns/asio/stub_resolver.hpp): a value, or an error with a code a
// program can act on and one sentence for people. Here, apart from the resolver, so that the
// sans-I/O search rules (stub_search.hpp) can say the same things as the drivers.

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace l7::dns {

enum class AddressFamily : std::uint8_t { any, v4, v6 };

// Why a lookup gave nothing; every code comes with one sentence for people.
enum class StubErrc : std::uint8_t {
    no_such_name,  // NXDOMAIN for every name tried: the name does not exist
    no_data,       // the name exists, without records of the type asked (NODATA)
    no_answer,     // no server settled the question: timeouts, SERVFAIL, REFUSED (servers named)
    no_service,    // the domain says it offers none: null MX (RFC 7505), SRV target "." (RFC 2782)
    bad_name,      // what was asked for is not a domain name
};

struct StubError {
    StubErrc code = StubErrc::no_answer;
    std::string message;
};

// A value or a StubError: Result<T> with an error code a program can act on.
template <class T>
using StubResult = Result<T, StubError>;

}  // namespace l7::dns
