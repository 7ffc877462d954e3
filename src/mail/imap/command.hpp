#pragma once
// An IMAP4rev1 client's commands as a server reads them (RFC 3501 section 9, the formal
// syntax), sans-I/O, in two steps: ImapCommandFramer cuts whole commands, literals included,
// from the bytes a client sends; parse_command() turns one into an ImapCommand, or into the
// sentence of the BAD that refuses it. Which command is allowed in which state, and what a
// command does, is the session's business, not this.
//
// Theory of operation
//
//   ImapCommandFramer framer;
//   for (;;) {
//       read at most framer.input_room() bytes; framer.receive(bytes);
//       for (auto ev = framer.next(); !holds<FramerNeedMore>(ev); ev = framer.next()) {
//           FramerContinuationNeeded: send "+ Ready for literal data"
//           FramerCommand:       parse_command(ev.text) -> act, or "tag BAD <message>"
//                                (AUTHENTICATE, IDLE: set_line_mode(true) for what follows)
//           FramerLine:          (line mode) a SASL response or IDLE's "DONE"
//           FramerTooLong:       "tag BAD" (the line is dropped as it arrives)
//           FramerLiteralTooBig: "tag NO [TOOBIG]" (RFC 7889) or "tag BAD"
//           FramerOverflow:      "* BYE" and close (the driver read more than input_room())
//       }
//   }
//
// Framing (RFC 3501 2.2, 4.3, 7.5; RFC 7888 LITERAL+). A command is a line ending in CRLF; a
// bare LF is accepted too (as Dovecot does) and a CR before it dropped. A line that ends in
// a literal announcement "{N}" (synchronizing) or "{N+}" (non-synchronizing) is followed by
// N octets that belong to the command, after which the command's text goes on with another
// line. For "{N}" the client waits for the server's "+" before it sends the octets: the
// framer says so with FramerContinuationNeeded, and goes on collecting without waiting to be
// told the "+" was sent. The text handed out is the whole command without its final CRLF,
// each literal kept in place as "{N}\r\n" (or "{N+}\r\n") and its N octets, which is what
// parse_command() reads. In line mode (AUTHENTICATE's responses, RFC 3501 6.2.2, and IDLE's
// "DONE", RFC 2177) lines are handed out as they are, without looking for literals.
//
// Limits (FramerLimits). Nothing beyond them is ever stored, and a refused command is
// skipped as it arrives:
//   - a command's text without its literals (its lines and their line ends): 8 KiB, as RFC
//     7162 3.2.3 suggests. A longer one is reported at once (FramerTooLong) and dropped to
//     its line's end; a "{N+}" at that end is skipped with its N octets and the rest of the
//     command.
//   - one literal (APPEND's message), all literals of a command, and literals per command.
//     "{N}" beyond them: no "+" is sent, so the client sends neither the octets nor the rest
//     of the command; reported at once. "{N+}" beyond them: the client sends the octets
//     anyway, so they and the rest of the command are counted, dropped, and then reported.
//   - input received but not framed yet (input_room()): a driver that reads more gets
//     FramerOverflow and the framer takes no more input.
//
// Parsing (RFC 3501 9, with RFC 7888 LITERAL+, RFC 4315 UIDPLUS "UID EXPUNGE", RFC 6851
// MOVE, RFC 2177 IDLE, RFC 2342 NAMESPACE, RFC 4959 SASL-IR, RFC 5161 ENABLE, RFC 3691
// UNSELECT). The grammar is followed exactly: one SP between tokens, nothing after the last;
// keywords (command names, FETCH attributes, search keys, ...) in any case; atoms without
// atom-specials; astrings as atoms (']' allowed), quoted strings (only \" and \\ escaped)
// or literals; tags of ASTRING-CHARs but '+'. One deliberate widening: quoted strings may
// hold UTF-8 (as RFC 9051's QUOTED-CHAR allows), since clients send non-ASCII passwords
// that way; other 8-bit octets and NUL are refused. Literals hold any octet but NUL (CHAR8).
// A mailbox named "INBOX" in any case is "INBOX" (RFC 3501 5.1); other names are kept as
// sent (modified UTF-7, mailbox_name.hpp). AUTHENTICATE and IDLE are parsed as commands
// only; their exchanges are the session's. Every count the client controls is bounded by
// the kImapMax* constants below. Error sentences quote a little of the offending text
// (printable ASCII, 40 octets at most), but nothing of a LOGIN's password.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "mail/imap/types.hpp"

namespace l7::mail::imap {

// ---- Framing -------------------------------------------------------------------------------

struct FramerLimits {
    // A command's text without its literals, line ends included (RFC 7162 3.2.3).
    std::size_t max_line = 8 * 1024;
    // One literal: APPEND's message is the largest.
    std::uint64_t max_literal = 25 * 1024 * 1024;
    // All literals of one command together.
    std::uint64_t max_literal_total = 32 * 1024 * 1024;
    std::size_t max_literals = 64;
    // Input received but not yet framed (at least 1). A session that calls next() until
    // FramerNeedMore keeps none; a pipelining client fills it while the session is busy.
    std::size_t max_buffered_input = 64 * 1024;
};

// Nothing more to hand out until more bytes arrive.
struct FramerNeedMore {};

// A synchronizing literal "{size}" was announced and is within the limits: send a
// continuation request ("+ ...") now, or the client will not send it (RFC 3501 7.5).
struct FramerContinuationNeeded {
    std::string tag;  // the command's tag, "*" when it has none
    std::uint64_t size = 0;
};

// One whole command: literals inlined, without the final CRLF; for parse_command().
struct FramerCommand {
    std::string text;
};

// Line mode: one line without its line end.
struct FramerLine {
    std::string text;
};

// A command's text went past max_line (or, in line mode, a line did). Reported as soon as
// it does; the rest is dropped as it arrives. Answer "tag BAD".
struct FramerTooLong {
    std::string tag;  // "*" when none could be read (and always in line mode)
};

// A literal beyond the limits; the command is dropped. Answer "tag NO [TOOBIG]" or BAD.
struct FramerLiteralTooBig {
    enum class Why {
        size,   // the literal alone is bigger than max_literal
        total,  // with the command's other literals, more than max_literal_total
        count,  // one more than max_literals
    };
    std::string tag;  // "*" when the command has none
    std::uint64_t size = 0;
    bool synchronizing = true;  // false: its octets and the rest of the command were skipped
    Why why = Why::size;
};

// The driver gave receive() more than input_room(): the input is dropped and no more is
// taken. Send "* BYE" and close.
struct FramerOverflow {};

using FramerEvent = std::variant<FramerNeedMore, FramerContinuationNeeded, FramerCommand,
                                 FramerLine, FramerTooLong, FramerLiteralTooBig, FramerOverflow>;

class ImapCommandFramer {
  public:
    explicit ImapCommandFramer(FramerLimits limits = {});

    // Bytes from the client, framed by next(). More than input_room() is an overflow.
    void receive(std::string_view bytes);

    // The next event; FramerNeedMore when the input is used up.
    FramerEvent next();

    // Line mode on or off, from the next line on: call it after a FramerCommand (AUTHENTICATE,
    // IDLE) or a FramerLine, not in the middle of a command.
    void set_line_mode(bool on) { line_mode_ = on; }
    bool line_mode() const { return line_mode_; }

    // How many bytes receive() takes now (0 after an overflow).
    std::size_t input_room() const;
    // Bytes held: input not yet framed and the command assembled so far. At most
    // max_buffered_input + max_line + max_literal_total.
    std::size_t buffered_bytes() const { return pending_input() + command_.size(); }
    const FramerLimits& limits() const { return limits_; }

  private:
    enum class State {
        line,          // collecting a line of the command (or, in line mode, a line)
        literal,       // collecting a literal's octets into the command
        skip_line,     // dropping the rest of a refused command's line
        skip_literal,  // dropping a refused command's non-synchronizing literal
        overflowed,    // no more input taken
    };

    std::size_t pending_input() const { return input_.size() - input_pos_; }
    std::optional<FramerEvent> end_of_line();
    std::optional<FramerEvent> refuse_literal(std::uint64_t size, bool synchronizing,
                                              FramerLiteralTooBig::Why why);
    std::optional<FramerEvent> skip_line();
    void start_skipping(std::string_view line_so_far);
    void reset_command();
    std::string tag_of_command(std::string_view more) const;
    void compact_input();

    FramerLimits limits_;
    bool line_mode_ = false;
    State state_ = State::line;
    bool overflow_reported_ = false;

    std::string input_;  // received; input_[input_pos_...] not framed yet
    std::size_t input_pos_ = 0;
    std::string command_;         // the command (or line) assembled so far
    std::size_t line_start_ = 0;  // where its current line begins in command_
    std::size_t text_bytes_ = 0;  // its bytes outside literals, line ends included
    std::size_t literals_ = 0;
    std::uint64_t literal_bytes_ = 0;  // the sizes of its literals, added up
    std::uint64_t literal_left_ = 0;   // octets of the current literal still to come

    // While skipping: the last octets of the line (to see a "{N+}" at its end), and the
    // refusal to report once the command is over (none after FramerTooLong, reported first).
    std::string skip_tail_;
    std::optional<FramerLiteralTooBig> skip_report_;
};

// ---- Commands ------------------------------------------------------------------------------

// Bounds on what one command may hold (besides its length, which the framer bounds).
inline constexpr std::size_t kImapMaxSearchDepth = 32;       // nested NOT / OR / (...)
inline constexpr std::size_t kImapMaxSearchKeys = 1024;      // keys in a SEARCH, all levels
inline constexpr std::size_t kImapMaxFetchAttributes = 64;   // in one FETCH
inline constexpr std::size_t kImapMaxHeaderFields = 128;     // in one HEADER.FIELDS list
inline constexpr std::size_t kImapMaxSectionParts = 32;      // "1.2.3..." in a section
inline constexpr std::size_t kImapMaxSequenceRanges = 8192;  // in one sequence set
inline constexpr std::size_t kImapMaxFlags = 256;            // in a STORE or APPEND
inline constexpr std::size_t kImapMaxStatusItems = 16;       // in a STATUS list
inline constexpr std::size_t kImapMaxCapabilities = 64;      // in an ENABLE

enum class CommandName {
    capability,
    noop,
    logout,
    starttls,
    authenticate,
    login,
    enable,
    select,
    examine,
    create,
    delete_,
    rename,
    subscribe,
    unsubscribe,
    list,
    lsub,
    namespace_,
    status,
    append,
    check,
    close,
    unselect,
    expunge,
    search,
    fetch,
    store,
    copy,
    move,
    idle,
};

// The command's name as a client writes it ("FETCH", "NAMESPACE"), for completion replies.
std::string_view command_name_text(CommandName name);

// STORE's data item (RFC 3501 6.4.6): FLAGS, +FLAGS or -FLAGS, with .SILENT or not.
struct StoreAction {
    enum class Mode { replace, add, remove };
    Mode mode = Mode::replace;
    bool silent = false;
    std::vector<Flag> flags;  // system flags in their canonical case ("\Seen")
    friend bool operator==(const StoreAction&, const StoreAction&) = default;
};

// One parsed command. Only the fields of its name are set; the others keep their defaults.
struct ImapCommand {
    std::string tag;
    CommandName name = CommandName::noop;
    // UID FETCH / STORE / COPY / MOVE / EXPUNGE: `set` holds UIDs. UID SEARCH answers with
    // UIDs, but its keys keep their meaning (a bare sequence set is still message numbers,
    // RFC 3501 6.4.8).
    bool uid = false;

    // SELECT EXAMINE CREATE DELETE SUBSCRIBE UNSUBSCRIBE STATUS APPEND; RENAME's old name;
    // COPY's and MOVE's destination. As sent (modified UTF-7), "INBOX" normalised.
    std::string mailbox;
    std::string new_name;   // RENAME
    std::string reference;  // LIST LSUB (a mailbox: "INBOX" normalised)
    std::string pattern;    // LIST LSUB: list-mailbox, with % and *; "INBOX" normalised
    std::string user;       // LOGIN
    std::string password;   // LOGIN
    std::string mechanism;  // AUTHENTICATE, upper-cased ("PLAIN")
    // AUTHENTICATE's initial response (RFC 4959): the base64 as sent, "" for "=".
    std::optional<std::string> initial_response;
    SequenceSet set;                          // FETCH STORE COPY MOVE, UID EXPUNGE
    std::vector<FetchAttribute> fetch;        // FETCH: macros expanded (ALL, FAST, FULL)
    StoreAction store;                        // STORE
    SearchKey search;                         // SEARCH: kind and_, the keys as children
    std::optional<std::string> charset;       // SEARCH CHARSET, as sent
    std::vector<StatusItem> status;           // STATUS, as listed
    std::vector<Flag> append_flags;           // APPEND's flag list
    std::optional<ImapDateTime> append_date;  // APPEND's date-time
    std::string message;                      // APPEND's message (its literal's octets)
    std::vector<std::string> capabilities;    // ENABLE, upper-cased

    friend bool operator==(const ImapCommand&, const ImapCommand&) = default;
};

struct ImapParseError {
    std::string tag = "*";  // the command's tag when one could be read
    std::string message;    // for "tag BAD <message>": one line, printable ASCII
};

// One command as ImapCommandFramer hands it out.
Result<ImapCommand, ImapParseError> parse_command(std::string_view text);

}  // namespace l7::mail::imap
