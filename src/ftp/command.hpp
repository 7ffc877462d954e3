#pragma once
// FTP command lines (RFC 959 4.1, 5.3) and the address arguments of the data connection
// commands: PORT and the 227 reply to PASV (RFC 959), EPRT and the 229 reply to EPSV
// (RFC 2428).
//
// A command line is a verb of letters, then, after one space, its argument (which may hold
// spaces: "STOR my file.txt"). Verbs are case-insensitive and returned uppercased. The control
// connection is a Telnet stream (RFC 959 4.1): Telnet commands (IAC ...; a client's ABOR
// comes after IAC IP and IAC DM, "Synch") are removed, and IAC IAC stands for one 0xFF
// byte of the argument.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l7::ftp {

struct FtpCommand {
    std::string verb;      // uppercased: "RETR"
    std::string argument;  // as sent, without the separating space; may be empty
};

// nullopt when the line has no verb of 3 or 4 letters, or the verb is not followed by the end
// or a space.
std::optional<FtpCommand> parse_command(std::string_view line);

// The line with Telnet commands removed (see above).
std::string strip_telnet(std::string_view line);

// An address and port from a data connection command or reply.
struct FtpHostPort {
    std::string address;  // "192.0.2.1" or "2001:db8::1" (no brackets)
    std::uint16_t port = 0;

    friend bool operator==(const FtpHostPort&, const FtpHostPort&) = default;
};

// Whether two address texts name the same IP address (IPv6 has several spellings, and an
// IPv4-mapped IPv6 address is its IPv4 address). False when either is not an address.
bool same_ip_address(std::string_view a, std::string_view b);

// Whether an EPRT argument is well-formed but names a protocol other than 1 and 2 (RFC 2428
// 2: 522 then, 501 for a malformed one).
bool eprt_unknown_protocol(std::string_view argument);

// PORT h1,h2,h3,h4,p1,p2 (RFC 959 4.1.2): each a decimal 0-255.
std::optional<FtpHostPort> parse_port_argument(std::string_view argument);
// "h1,h2,h3,h4,p1,p2" for an IPv4 address; nullopt for IPv6 or an invalid address.
std::optional<std::string> format_port_argument(const FtpHostPort& hp);

// EPRT |1|192.0.2.1|6275| or |2|::1|5282| (RFC 2428 2): any delimiter from '!' to '~', the
// protocol 1 (IPv4) or 2 (IPv6) matching the address.
std::optional<FtpHostPort> parse_eprt_argument(std::string_view argument);
std::string format_eprt_argument(const FtpHostPort& hp);

// The 227 reply's text: "Entering Passive Mode (h1,h2,h3,h4,p1,p2)." (IPv4 only).
std::optional<std::string> format_pasv_text(const FtpHostPort& hp);
// The address and port in a 227 reply's text: the first six comma-separated numbers (RFC
// 1123 4.1.2.6: the client must scan for them, servers vary the words around them).
std::optional<FtpHostPort> parse_pasv_text(std::string_view text);

// The 229 reply's text: "Entering Extended Passive Mode (|||6446|)".
std::string format_epsv_text(std::uint16_t port);
// The port in a 229 reply's text: "(<d><d><d>port<d>)" (RFC 2428 3).
std::optional<std::uint16_t> parse_epsv_text(std::string_view text);

}  // namespace l7::ftp
