#pragma once
// HTTP Basic authentication (RFC 7617), sans-I/O: the credentials of an Authorization field
// and the challenge of a 401.
//
//   Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==     user "Aladdin", "open sesame"
//   WWW-Authenticate: Basic realm="uploads", charset="UTF-8"
//
// The token is base64 (RFC 4648 section 4, padded) of user-id ":" password; the user-id ends
// at the first ':' (section 2), so it never holds one, while the password may. Neither may
// hold a control character (section 2). With charset="UTF-8" (section 2.1) clients send both
// in UTF-8; other bytes above 0x7F are passed on as they are, since password hashes compare
// bytes. Everything is bounded before it is decoded.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/fields.hpp"

namespace l7::http {

inline constexpr std::size_t kMaxBasicUserLength = 255;
inline constexpr std::size_t kMaxBasicPasswordLength = 1024;

struct BasicCredentials {
    std::string user;
    std::string password;

    friend bool operator==(const BasicCredentials&, const BasicCredentials&) = default;
};

enum class BasicAuthError {
    missing,            // no Authorization field
    repeated,           // more than one Authorization field
    other_scheme,       // a scheme other than Basic (Bearer, Digest ...)
    malformed,          // not "Basic" 1*SP token68, or the token is not padded base64
    too_long,           // longer than the bounds above allow
    no_colon,           // the decoded credentials have no ':' between user and password
    control_character,  // a control character in the user or the password
};

// A short English description ("no ':' between user and password"), for logs.
std::string_view describe(BasicAuthError e);

// The credentials of one Authorization field value. The scheme name is case-insensitive
// (RFC 9110 section 11.1).
Result<BasicCredentials, BasicAuthError> parse_basic_credentials(std::string_view authorization);

// The same for a request's fields: exactly one Authorization field.
Result<BasicCredentials, BasicAuthError> basic_credentials(const Fields& fields);

// The WWW-Authenticate value of a 401 for `realm` (RFC 7617 section 2 and 2.1):
// `Basic realm="...", charset="UTF-8"`, the realm a quoted-string (RFC 9110 section 5.6.4)
// with '"' and '\' escaped and control characters other than tab left out.
std::string basic_challenge(std::string_view realm);

// The Authorization value a client sends: "Basic " and the base64 of "user:password".
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace l7::http
