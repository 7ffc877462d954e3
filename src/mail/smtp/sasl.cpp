#include "mail/smtp/sasl.hpp"

#include "core/base64.hpp"

namespace l7::mail {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// RFC 4616 section 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd, authcid and passwd
// not empty.
SaslStep read_plain(std::string_view message) {
    const std::size_t first = message.find('\0');
    if (first == std::string_view::npos) {
        return SaslFailure::malformed;
    }
    const std::size_t second = message.find('\0', first + 1);
    if (second == std::string_view::npos || message.find('\0', second + 1) != std::string::npos) {
        return SaslFailure::malformed;
    }
    SaslCredentials c{std::string(message.substr(0, first)),
                      std::string(message.substr(first + 1, second - first - 1)),
                      std::string(message.substr(second + 1))};
    if (c.user.empty() || c.password.empty()) {
        return SaslFailure::malformed;
    }
    if (!c.authorization_id.empty() && c.authorization_id != c.user) {
        return SaslFailure::authorization_refused;
    }
    return c;
}

}  // namespace

std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name) {
    if (iequals(name, "PLAIN")) {
        return SaslMechanism::plain;
    }
    if (iequals(name, "LOGIN")) {
        return SaslMechanism::login;
    }
    return std::nullopt;
}

std::string_view sasl_mechanism_name(SaslMechanism mechanism) {
    return mechanism == SaslMechanism::plain ? "PLAIN" : "LOGIN";
}

SmtpReply sasl_failure_reply(SaslFailure failure) {
    switch (failure) {
        case SaslFailure::cancelled:
            return smtp_reply(501, {5, 7, 0}, "Authentication cancelled");
        case SaslFailure::bad_base64:
            return smtp_reply(501, {5, 5, 2}, "Cannot decode the response (base64)");
        case SaslFailure::malformed:
            return smtp_reply(501, {5, 5, 2}, "Malformed authentication response");
        case SaslFailure::authorization_refused:
            return smtp_reply(535, {5, 7, 8}, "Authentication credentials invalid");
    }
    return smtp_reply(501, {5, 5, 2}, "Malformed authentication response");
}

SaslStep SaslServerExchange::start(std::optional<std::string_view> initial_response) {
    if (stage_ != Stage::start) {
        stage_ = Stage::done;
        return SaslFailure::malformed;
    }
    if (initial_response) {
        stage_ = mechanism_ == SaslMechanism::plain ? Stage::plain_message : Stage::login_user;
        // RFC 4954 section 4: "=" is an initial response of zero length.
        return *initial_response == "=" ? take("") : step(*initial_response);
    }
    if (mechanism_ == SaslMechanism::plain) {
        stage_ = Stage::plain_message;
        return SaslChallenge{""};  // RFC 4954 section 4: an empty challenge asks for it
    }
    stage_ = Stage::login_user;
    return SaslChallenge{base64_encode(std::string_view("Username:"))};
}

SaslStep SaslServerExchange::step(std::string_view line) {
    if (stage_ == Stage::start || stage_ == Stage::done) {
        stage_ = Stage::done;
        return SaslFailure::malformed;
    }
    if (line == "*") {
        stage_ = Stage::done;
        return SaslFailure::cancelled;
    }
    const auto decoded = base64_decode_text(line);
    if (!decoded) {
        stage_ = Stage::done;
        return SaslFailure::bad_base64;
    }
    return take(*decoded);
}

SaslStep SaslServerExchange::take(std::string_view response) {
    switch (stage_) {
        case Stage::plain_message:
            stage_ = Stage::done;
            return read_plain(response);
        case Stage::login_user:
            if (response.empty() || response.find('\0') != std::string_view::npos) {
                stage_ = Stage::done;
                return SaslFailure::malformed;
            }
            user_ = response;
            stage_ = Stage::login_password;
            return SaslChallenge{base64_encode(std::string_view("Password:"))};
        case Stage::login_password:
            stage_ = Stage::done;
            if (response.empty() || response.find('\0') != std::string_view::npos) {
                return SaslFailure::malformed;
            }
            return SaslCredentials{"", std::move(user_), std::string(response)};
        case Stage::start:
        case Stage::done:
            break;
    }
    stage_ = Stage::done;
    return SaslFailure::malformed;
}

}  // namespace l7::mail
