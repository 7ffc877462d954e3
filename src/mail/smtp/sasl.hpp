#pragma once
// The server's side of SMTP AUTH (RFC 4954) for the two mechanisms mail clients all speak,
// sans-I/O: lines in, challenges or credentials out. Checking the credentials is not done
// here: the session hands them to its driver.
//
//   PLAIN (RFC 4616): one message, base64 of authzid NUL authcid NUL passwd. An authzid other
//     than empty or the authcid asks to act as someone else, which no one may here.
//   LOGIN (draft-murchison-sasl-login, what everyone implements): "334 VXNlcm5hbWU6"
//     ("Username:"), the user name in base64, "334 UGFzc3dvcmQ6" ("Password:"), the password.
//
// Either may start with an initial response on the AUTH line (RFC 4954 section 4), where "="
// stands for an empty one; a client answers a challenge with "*" to cancel.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/smtp/reply.hpp"

namespace l7::mail {

enum class SaslMechanism { plain, login };

// Case-insensitive; nullopt for a mechanism we do not offer (504 5.5.4).
std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name);
std::string_view sasl_mechanism_name(SaslMechanism mechanism);  // "PLAIN", "LOGIN"

struct SaslCredentials {
    std::string authorization_id;  // PLAIN's authzid when given (then equal to user)
    std::string user;
    std::string password;

    friend bool operator==(const SaslCredentials&, const SaslCredentials&) = default;
};

// Send "334 " + base64 and read the client's next line.
struct SaslChallenge {
    std::string base64;

    friend bool operator==(const SaslChallenge&, const SaslChallenge&) = default;
};

enum class SaslFailure {
    cancelled,              // "*": 501 5.7.0
    bad_base64,             // not base64 (RFC 4954 section 4): 501 5.5.2
    malformed,              // decoded, but not what the mechanism sends: 501 5.5.2
    authorization_refused,  // PLAIN with someone else's authzid: 535 5.7.8
};

// The reply that ends the exchange for a failure.
SmtpReply sasl_failure_reply(SaslFailure failure);

using SaslStep = std::variant<SaslChallenge, SaslCredentials, SaslFailure>;

// One AUTH exchange. start() once, then step() with each line the client sends after a
// challenge, until a step returns credentials or a failure (the exchange is then over, and
// further calls return SaslFailure::malformed).
class SaslServerExchange {
  public:
    explicit SaslServerExchange(SaslMechanism mechanism) : mechanism_(mechanism) {}

    // `initial_response`: the AUTH command's second argument, when there was one.
    SaslStep start(std::optional<std::string_view> initial_response);
    // A client line (without its CRLF).
    SaslStep step(std::string_view line);

    SaslMechanism mechanism() const { return mechanism_; }

  private:
    SaslStep take(std::string_view response);

    enum class Stage { start, plain_message, login_user, login_password, done };

    SaslMechanism mechanism_;
    Stage stage_ = Stage::start;
    std::string user_;  // LOGIN: the user name, while waiting for the password
};

}  // namespace l7::mail
