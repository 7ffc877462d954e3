#pragma once
// OpenSSL reports failures on a per-thread error queue; callers turn it into one sentence.

#include <string>

namespace l7::tls {

// Drains this thread's OpenSSL error queue into one readable line ("reason; reason"), or
// "unknown TLS error" when it is empty. Draining matters: a stale entry would otherwise be
// blamed for the next, unrelated failure.
std::string last_openssl_error();

}  // namespace l7::tls
