#include "http/basic_auth.hpp"

#include "core/base64.hpp"
#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

// The longest token68 that can decode to credentials within the bounds: 4 characters per
// 3 bytes of user ":" password, rounded up.
constexpr std::size_t kMaxTokenLength =
    (kMaxBasicUserLength + 1 + kMaxBasicPasswordLength + 2) / 3 * 4;

// CTL (RFC 5234 appendix B.1): %x00-1F / %x7F.
}  // namespace

std::string_view describe(BasicAuthError e) {
    switch (e) {
        case BasicAuthError::missing:
            return "no credentials";
        case BasicAuthError::repeated:
            return "more than one Authorization field";
        case BasicAuthError::other_scheme:
            return "an authentication scheme other than Basic";
        case BasicAuthError::malformed:
            return "malformed Basic credentials";
        case BasicAuthError::too_long:
            return "Basic credentials too long";
        case BasicAuthError::no_colon:
            return "no ':' between user and password";
        case BasicAuthError::control_character:
            return "a control character in the user or the password";
    }
    return "bad credentials";
}

Result<BasicCredentials, BasicAuthError> parse_basic_credentials(std::string_view authorization) {
    std::string_view value = trim_ows(authorization);
    // credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ] (RFC 9110 11.4).
    const std::size_t space = value.find(' ');
    const std::string_view scheme = value.substr(0, space);
    if (!is_token(scheme)) {
        return BasicAuthError::malformed;
    }
    if (!iequals(scheme, "Basic")) {
        return BasicAuthError::other_scheme;
    }
    if (space == std::string_view::npos) {
        return BasicAuthError::malformed;
    }
    std::string_view token = value.substr(space);
    while (!token.empty() && token.front() == ' ') {
        token.remove_prefix(1);
    }
    if (token.empty()) {
        return BasicAuthError::malformed;
    }
    if (token.size() > kMaxTokenLength) {
        return BasicAuthError::too_long;
    }
    auto decoded = base64_decode_text(token);  // refuses anything outside the alphabet
    if (!decoded) {
        return BasicAuthError::malformed;
    }
    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
        return BasicAuthError::no_colon;
    }
    BasicCredentials c;
    c.user = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
    if (c.user.size() > kMaxBasicUserLength || c.password.size() > kMaxBasicPasswordLength) {
        return BasicAuthError::too_long;
    }
    if (has_control_character(c.user) || has_control_character(c.password)) {
        return BasicAuthError::control_character;
    }
    return c;
}

Result<BasicCredentials, BasicAuthError> basic_credentials(const Fields& fields) {
    const std::size_t n = fields.count("Authorization");
    if (n == 0) {
        return BasicAuthError::missing;
    }
    if (n > 1) {
        return BasicAuthError::repeated;
    }
    return parse_basic_credentials(*fields.get("Authorization"));
}

std::string basic_challenge(std::string_view realm) {
    std::string out = "Basic realm=\"";
    for (char c : realm) {
        const auto b = static_cast<unsigned char>(c);
        if ((b < 0x20 && c != '\t') || b == 0x7F) {
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += "\", charset=\"UTF-8\"";
    return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
    std::string plain;
    plain.reserve(user.size() + 1 + password.size());
    plain.append(user).append(":").append(password);
    return "Basic " + base64_encode(plain);
}

}  // namespace l7::http
