// l7::http Basic authentication (RFC 7617) on arbitrary Authorization values and realms.
// Invariants: accepted credentials keep to the bounds, have no ':' in the user and no control
// character, and encoded again parse back to themselves; the challenge for any realm is one
// quoted-string that ends where it should (no unescaped '"', no CR or LF).
//
// Input: the whole input is the field value and, separately, the realm; its first half, as
// user and password split at the first NUL, goes through basic_authorization.

#include <algorithm>
#include <cctype>
#include <string>

#include "fuzz_check.hpp"
#include "http/basic_auth.hpp"

namespace {

using namespace l7::http;

// RFC 5234's CTL, written independently of the code under test.
bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; });
}

void check_credentials(std::string_view value) {
    const auto c = parse_basic_credentials(value);
    if (!c) {
        L7_FUZZ_CHECK(!describe(c.error()).empty());
        return;
    }
    L7_FUZZ_CHECK(c->user.find(':') == std::string::npos);
    L7_FUZZ_CHECK(c->user.size() <= kMaxBasicUserLength);
    L7_FUZZ_CHECK(c->password.size() <= kMaxBasicPasswordLength);
    L7_FUZZ_CHECK(!has_control(c->user) && !has_control(c->password));
    const auto again = parse_basic_credentials(basic_authorization(c->user, c->password));
    L7_FUZZ_CHECK(again && *again == *c);
}

void check_challenge(std::string_view realm) {
    const std::string v = basic_challenge(realm);
    constexpr std::string_view head = "Basic realm=\"";
    constexpr std::string_view tail = "\", charset=\"UTF-8\"";
    L7_FUZZ_CHECK(v.starts_with(head) && v.ends_with(tail));
    const std::string_view quoted(v.data() + head.size(), v.size() - head.size() - tail.size());
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        const auto b = static_cast<unsigned char>(quoted[i]);
        L7_FUZZ_CHECK((b >= 0x20 || quoted[i] == '\t') && b != 0x7F);
        if (quoted[i] == '\\') {
            ++i;  // a quoted-pair
            L7_FUZZ_CHECK(i < quoted.size());
        } else {
            L7_FUZZ_CHECK(quoted[i] != '"');
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    check_credentials(text);
    check_challenge(text);
    const std::string_view half = text.substr(0, text.size() / 2);
    const std::size_t nul = half.find('\0');
    const std::string_view user = half.substr(0, nul);
    const std::string_view password =
        nul == std::string_view::npos ? std::string_view() : half.substr(nul + 1);
    const auto parsed = parse_basic_credentials(basic_authorization(user, password));
    // A ':' in the user moves the split, so such a pair comes back as another one.
    const bool acceptable = user.find(':') == std::string_view::npos && !has_control(user) &&
                            !has_control(password) && user.size() <= kMaxBasicUserLength &&
                            password.size() <= kMaxBasicPasswordLength;
    if (acceptable) {
        L7_FUZZ_CHECK(parsed && parsed->user == user && parsed->password == password);
    } else if (user.find(':') == std::string_view::npos) {
        L7_FUZZ_CHECK(!parsed);
    }
    return 0;
}
