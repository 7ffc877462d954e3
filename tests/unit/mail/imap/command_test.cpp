// IMAP4rev1 commands as a server reads them: the framer (lines, literals, limits, line mode,
// bytes arriving one at a time) and the parser (every command of RFC 3501 and the
// extensions named in command.hpp, and the BAD sentences of malformed ones).

#include "mail/imap/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace l7::mail::imap {
namespace {

// ---- The framer ----------------------------------------------------------------------------

// An event as a short string, for comparing whole sequences: "C:<text>" (command),
// "L:<text>" (line), "+A1:5" (continuation), "LONG:A1", "BIG:A1:11:sync:size", "OVERFLOW".
std::string describe(const FramerEvent& ev) {
    if (const auto* c = std::get_if<FramerCommand>(&ev)) {
        return "C:" + c->text;
    }
    if (const auto* l = std::get_if<FramerLine>(&ev)) {
        return "L:" + l->text;
    }
    if (const auto* k = std::get_if<FramerContinuationNeeded>(&ev)) {
        return "+" + k->tag + ":" + std::to_string(k->size);
    }
    if (const auto* t = std::get_if<FramerTooLong>(&ev)) {
        return "LONG:" + t->tag;
    }
    if (const auto* b = std::get_if<FramerLiteralTooBig>(&ev)) {
        const char* why = b->why == FramerLiteralTooBig::Why::size    ? "size"
                          : b->why == FramerLiteralTooBig::Why::total ? "total"
                                                                      : "count";
        return "BIG:" + b->tag + ":" + std::to_string(b->size) + ":" +
               (b->synchronizing ? "sync" : "nonsync") + ":" + why;
    }
    if (std::holds_alternative<FramerOverflow>(ev)) {
        return "OVERFLOW";
    }
    return "NEED_MORE";
}

// Everything the framer hands out until it needs more.
std::vector<std::string> drain(ImapCommandFramer& f) {
    std::vector<std::string> out;
    for (int i = 0; i < 10000; ++i) {
        const FramerEvent ev = f.next();
        if (std::holds_alternative<FramerNeedMore>(ev)) {
            return out;
        }
        out.push_back(describe(ev));
    }
    ADD_FAILURE() << "the framer never asked for more";
    return out;
}

// `bytes` fed whole, then the events.
std::vector<std::string> frame(std::string_view bytes, FramerLimits limits = {}) {
    ImapCommandFramer f(limits);
    f.receive(bytes);
    return drain(f);
}

// `bytes` fed one octet at a time, draining after each.
std::vector<std::string> frame_bytewise(std::string_view bytes, FramerLimits limits = {}) {
    ImapCommandFramer f(limits);
    std::vector<std::string> out;
    for (const char c : bytes) {
        f.receive(std::string_view(&c, 1));
        for (auto& e : drain(f)) {
            out.push_back(std::move(e));
        }
        EXPECT_LE(f.buffered_bytes(),
                  limits.max_buffered_input + limits.max_line + limits.max_literal_total);
    }
    return out;
}

using Events = std::vector<std::string>;

TEST(ImapFramer, CutsPipelinedCommandsAtCrlfAndBareLf) {
    const Events want = {"C:a1 NOOP", "C:a2 CAPABILITY", "C:a3 LOGOUT"};
    const std::string_view in = "a1 NOOP\r\na2 CAPABILITY\na3 LOGOUT\r\n";
    EXPECT_EQ(frame(in), want);
    EXPECT_EQ(frame_bytewise(in), want);
    EXPECT_EQ(frame("a1 NOOP"), Events{});  // no line end yet
}

TEST(ImapFramer, SynchronizingLiteralsAskForContinuationAndAreInlined) {
    const std::string_view in = "A1 LOGIN {5}\r\nalice {6}\r\nsecret\r\nA2 NOOP\r\n";
    const Events want = {"+A1:5", "+A1:6", "C:A1 LOGIN {5}\r\nalice {6}\r\nsecret", "C:A2 NOOP"};
    EXPECT_EQ(frame(in), want);
    EXPECT_EQ(frame_bytewise(in), want);
}

TEST(ImapFramer, ContinuationComesBeforeTheLiteralArrives) {
    ImapCommandFramer f;
    f.receive("A1 APPEND INBOX {3}\r\n");
    EXPECT_EQ(drain(f), Events{"+A1:3"});
    f.receive("ab");
    EXPECT_EQ(drain(f), Events{});
    f.receive("c\r\n");
    EXPECT_EQ(drain(f), Events{"C:A1 APPEND INBOX {3}\r\nabc"});
}

TEST(ImapFramer, NonSynchronizingLiteralsNeedNoContinuation) {
    const std::string_view in = "A1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n";
    const Events want = {"C:A1 LOGIN {5+}\r\nalice {6+}\r\nsecret"};
    EXPECT_EQ(frame(in), want);
    EXPECT_EQ(frame_bytewise(in), want);
}

TEST(ImapFramer, LiteralOctetsAreNotLookedInto) {
    // The literal holds line ends and what looks like another announcement.
    const std::string_view in = "A1 APPEND INBOX {12+}\r\nab\r\n{3}\r\nxyz\r\nA2 NOOP\r\n";
    const Events want = {"C:A1 APPEND INBOX {12+}\r\nab\r\n{3}\r\nxyz", "C:A2 NOOP"};
    EXPECT_EQ(frame(in), want);
    EXPECT_EQ(frame_bytewise(in), want);
}

TEST(ImapFramer, BareLfAfterAnAnnouncementBecomesCrlfInTheText) {
    EXPECT_EQ(frame("A1 LOGIN {5}\nalice bob\n"), (Events{"+A1:5", "C:A1 LOGIN {5}\r\nalice bob"}));
    auto r = parse_command("A1 LOGIN {5}\r\nalice bob");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->user, "alice");
}

TEST(ImapFramer, EmptyLiteralStillWaitsForTheContinuation) {
    EXPECT_EQ(frame("A1 LOGIN {0}\r\n x\r\n"), (Events{"+A1:0", "C:A1 LOGIN {0}\r\n x"}));
}

TEST(ImapFramer, NotAnAnnouncementEndsTheCommand) {
    EXPECT_EQ(frame("A1 X {abc}\r\n"), Events{"C:A1 X {abc}"});
    EXPECT_EQ(frame("A1 X 5}\r\n"), Events{"C:A1 X 5}"});
    EXPECT_EQ(frame("A1 X {}\r\n"), Events{"C:A1 X {}"});
    // Too many digits for any size: the parser refuses it as it stands.
    EXPECT_EQ(frame("A1 X {123456789012345678901234}\r\n"),
              Events{"C:A1 X {123456789012345678901234}"});
}

TEST(ImapFramer, OverLongLineIsReportedAtOnceAndDroppedToItsEnd) {
    FramerLimits limits;
    limits.max_line = 32;
    const std::string line = "A1 LOGIN " + std::string(100, 'x') + "\r\n";
    const std::string in = line + "A2 NOOP\r\n";
    const Events want = {"LONG:A1", "C:A2 NOOP"};
    EXPECT_EQ(frame(in, limits), want);
    EXPECT_EQ(frame_bytewise(in, limits), want);

    // Reported before the line's end arrives, and only once.
    ImapCommandFramer f(limits);
    f.receive("A7 " + std::string(17, 'y'));
    EXPECT_EQ(drain(f), Events{});
    f.receive(" " + std::string(20, 'y'));
    EXPECT_EQ(drain(f), Events{"LONG:A7"});
    for (int i = 0; i < 100; ++i) {
        f.receive(std::string(30, 'z'));
        EXPECT_EQ(drain(f), Events{});
        EXPECT_LE(f.buffered_bytes(), limits.max_line);
    }
    f.receive("\r\nA3 NOOP\r\n");
    EXPECT_EQ(drain(f), Events{"C:A3 NOOP"});
}

TEST(ImapFramer, LineLimitCountsTheCommandWithoutItsLiterals) {
    FramerLimits limits;
    limits.max_line = 24;
    // "A1 LOGIN {20}\r\n" (15) + " x" (2) + CRLF: 19 octets of text; the literal is free.
    EXPECT_EQ(frame("A1 LOGIN {20}\r\n" + std::string(20, 'u') + " x\r\n", limits),
              (Events{"+A1:20", "C:A1 LOGIN {20}\r\n" + std::string(20, 'u') + " x"}));
    // Exactly at the limit (22 octets and CRLF), and one past it.
    EXPECT_EQ(frame("A1 " + std::string(19, 'n') + "\r\n", limits),
              Events{"C:A1 " + std::string(19, 'n')});
    EXPECT_EQ(frame("A1 " + std::string(20, 'n') + "\r\n", limits), Events{"LONG:A1"});
    // The same when the CR and the LF come apart.
    EXPECT_EQ(frame_bytewise("A1 " + std::string(19, 'n') + "\r\n", limits),
              Events{"C:A1 " + std::string(19, 'n')});
    EXPECT_EQ(frame_bytewise("A1 " + std::string(20, 'n') + "\r\n", limits), Events{"LONG:A1"});
    // The lines after a literal count too.
    EXPECT_EQ(frame("A1 LOGIN {2}\r\nab " + std::string(20, 'p') + "\r\nA2 NOOP\r\n", limits),
              (Events{"+A1:2", "LONG:A1", "C:A2 NOOP"}));
}

TEST(ImapFramer, OverLongLineEndingInNonSyncLiteralSkipsTheLiteralToo) {
    FramerLimits limits;
    limits.max_line = 32;
    // The client sends the 9 octets of "A2 LOGOUT" without waiting: they are not a command.
    const std::string in =
        "A1 LOGIN " + std::string(40, 'x') + " {9+}\r\nA2 LOGOUT rest\r\nA3 NOOP\r\n";
    const Events want = {"LONG:A1", "C:A3 NOOP"};
    EXPECT_EQ(frame(in, limits), want);
    EXPECT_EQ(frame_bytewise(in, limits), want);
    // A synchronizing one is never sent: the next line is the next command.
    EXPECT_EQ(frame("A1 LOGIN " + std::string(40, 'x') + " {9}\r\nA2 LOGOUT\r\n", limits),
              (Events{"LONG:A1", "C:A2 LOGOUT"}));
}

TEST(ImapFramer, TooBigSynchronizingLiteralIsRefusedWithoutContinuation) {
    FramerLimits limits;
    limits.max_literal = 10;
    const std::string_view in = "A1 APPEND INBOX {11}\r\nA2 NOOP\r\n";
    const Events want = {"BIG:A1:11:sync:size", "C:A2 NOOP"};
    EXPECT_EQ(frame(in, limits), want);
    EXPECT_EQ(frame_bytewise(in, limits), want);
    EXPECT_EQ(frame("A1 APPEND INBOX {10}\r\n0123456789\r\n", limits),
              (Events{"+A1:10", "C:A1 APPEND INBOX {10}\r\n0123456789"}));
}

TEST(ImapFramer, TooBigNonSynchronizingLiteralIsSkippedThenReported) {
    FramerLimits limits;
    limits.max_literal = 10;
    const std::string_view in =
        "A1 APPEND INBOX {11+}\r\nA9 LOGOUT\r\n more {3+}\r\nxyz tail\r\nA2 NOOP\r\n";
    const Events want = {"BIG:A1:11:nonsync:size", "C:A2 NOOP"};
    EXPECT_EQ(frame(in, limits), want);
    EXPECT_EQ(frame_bytewise(in, limits), want);

    // Not reported before the command is over, and nothing of it is kept.
    ImapCommandFramer f(limits);
    f.receive("A1 APPEND INBOX {4000000000+}\r\n");
    EXPECT_EQ(drain(f), Events{});
    for (int i = 0; i < 100; ++i) {
        f.receive(std::string(1000, 'm'));
        EXPECT_EQ(drain(f), Events{});
        EXPECT_EQ(f.buffered_bytes(), 0u);
    }
}

TEST(ImapFramer, LiteralCountAndTotalAreBounded) {
    FramerLimits limits;
    limits.max_literals = 2;
    EXPECT_EQ(frame("A1 X {1}\r\na {1}\r\nb {1}\r\nc\r\nA2 NOOP\r\n", limits),
              (Events{"+A1:1", "+A1:1", "BIG:A1:1:sync:count", "C:c", "C:A2 NOOP"}));
    limits = FramerLimits{};
    limits.max_literal_total = 10;
    EXPECT_EQ(frame("A1 X {6+}\r\n123456 {5+}\r\n12345\r\nA2 NOOP\r\n", limits),
              (Events{"BIG:A1:5:nonsync:total", "C:A2 NOOP"}));
    EXPECT_EQ(frame("A1 X {6+}\r\n123456 {4+}\r\n1234\r\n", limits),
              (Events{"C:A1 X {6+}\r\n123456 {4+}\r\n1234"}));
}

TEST(ImapFramer, LineModeHandsOutPlainLines) {
    ImapCommandFramer f;
    f.receive("A1 AUTHENTICATE PLAIN\r\n");
    EXPECT_EQ(drain(f), Events{"C:A1 AUTHENTICATE PLAIN"});
    f.set_line_mode(true);
    EXPECT_TRUE(f.line_mode());
    f.receive("AGFsaWNlAHNlY3JldA==\r\n{5}\r\n*\n");
    EXPECT_EQ(drain(f), (Events{"L:AGFsaWNlAHNlY3JldA==", "L:{5}", "L:*"}));
    f.set_line_mode(false);
    f.receive("A2 IDLE\r\n");
    EXPECT_EQ(drain(f), Events{"C:A2 IDLE"});
    f.set_line_mode(true);
    f.receive("DONE\r\n");
    EXPECT_EQ(drain(f), Events{"L:DONE"});
}

TEST(ImapFramer, LineModeLinesAreBoundedToo) {
    FramerLimits limits;
    limits.max_line = 16;
    ImapCommandFramer f(limits);
    f.set_line_mode(true);
    f.receive(std::string(40, 'Q') + " {5+}\r\nDONE\r\n");
    // No tag in line mode, and no literal is looked for.
    EXPECT_EQ(drain(f), (Events{"LONG:*", "L:DONE"}));
}

TEST(ImapFramer, InputBeyondTheRoomIsAnOverflow) {
    FramerLimits limits;
    limits.max_buffered_input = 16;
    ImapCommandFramer f(limits);
    EXPECT_EQ(f.input_room(), 16u);
    f.receive("A1 NOOP\r\nA2");  // 11 octets, not framed yet
    EXPECT_EQ(f.input_room(), 5u);
    f.receive(" NOOP\r\n");  // 7 > 5
    EXPECT_EQ(f.input_room(), 0u);
    EXPECT_EQ(drain(f), Events{"OVERFLOW"});
    EXPECT_EQ(f.buffered_bytes(), 0u);
    f.receive("A3 NOOP\r\n");
    EXPECT_EQ(drain(f), Events{});
}

TEST(ImapFramer, DrainingFreesTheRoom) {
    FramerLimits limits;
    limits.max_buffered_input = 16;
    ImapCommandFramer f(limits);
    for (int i = 0; i < 50; ++i) {
        f.receive("A1 NOOP\r\n");
        EXPECT_EQ(drain(f), Events{"C:A1 NOOP"});
        EXPECT_EQ(f.input_room(), 16u);
    }
    // A long command passes through a small input buffer.
    const std::string big = "A1 LOGIN " + std::string(100, 'u') + " p\r\n";
    for (std::size_t i = 0; i < big.size(); i += 16) {
        f.receive(std::string_view(big).substr(i, 16));
        const Events events = drain(f);
        EXPECT_EQ(events.empty(), i + 16 < big.size());
    }
}

TEST(ImapFramer, TagOfRefusedCommandsIsStarWhenThereIsNone) {
    FramerLimits limits;
    limits.max_literal = 1;
    EXPECT_EQ(frame("{5}\r\n", limits), Events{"BIG:*:5:sync:size"});
    EXPECT_EQ(frame("a+b X {5}\r\n", limits), Events{"BIG:*:5:sync:size"});
    EXPECT_EQ(frame("A.1 X {5}\r\n", limits), Events{"BIG:A.1:5:sync:size"});
}

// ---- The parser: commands ------------------------------------------------------------------

ImapCommand parse_ok(std::string_view text) {
    auto r = parse_command(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : ImapCommand{};
}

ImapParseError parse_bad(std::string_view text) {
    auto r = parse_command(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? ImapParseError{} : r.error();
}

TEST(ImapParse, CommandsWithoutArguments) {
    const std::pair<std::string_view, CommandName> cases[] = {
        {"a CAPABILITY", CommandName::capability}, {"a noop", CommandName::noop},
        {"a LogOut", CommandName::logout},         {"a STARTTLS", CommandName::starttls},
        {"a NAMESPACE", CommandName::namespace_},  {"a CHECK", CommandName::check},
        {"a CLOSE", CommandName::close},           {"a UNSELECT", CommandName::unselect},
        {"a EXPUNGE", CommandName::expunge},       {"a idle", CommandName::idle},
    };
    for (const auto& [text, name] : cases) {
        const ImapCommand c = parse_ok(text);
        EXPECT_EQ(c.tag, "a");
        EXPECT_EQ(c.name, name) << text;
        EXPECT_FALSE(c.uid);
        auto junk = parse_bad(std::string(text) + " x");
        EXPECT_EQ(junk.tag, "a");
        EXPECT_EQ(junk.message, "Unexpected text after the command: x");
    }
    EXPECT_EQ(command_name_text(CommandName::namespace_), "NAMESPACE");
    EXPECT_EQ(command_name_text(CommandName::delete_), "DELETE");
}

TEST(ImapParse, TagsAreAstringCharsButPlus) {
    EXPECT_EQ(parse_ok("A0001 NOOP").tag, "A0001");
    EXPECT_EQ(parse_ok("x]y.z NOOP").tag, "x]y.z");
    EXPECT_EQ(parse_bad("a+1 NOOP").message, "Invalid tag");
    EXPECT_EQ(parse_bad("a+1 NOOP").tag, "*");
    EXPECT_EQ(parse_bad("a(1 NOOP").message, "Invalid tag");
    EXPECT_EQ(parse_bad("* NOOP").message, "Invalid tag");
    EXPECT_EQ(parse_bad(" NOOP").message, "Missing tag");
    EXPECT_EQ(parse_bad("").message, "Empty command line");
    EXPECT_EQ(parse_bad("A1").message, "Missing command");
    EXPECT_EQ(parse_bad("A1").tag, "A1");
    EXPECT_EQ(parse_bad("A1 ").message, "Missing command");
    EXPECT_EQ(parse_bad("A1 FOO").message, "Unknown command FOO");
    EXPECT_EQ(parse_bad("A1 FOO").tag, "A1");
    EXPECT_EQ(parse_bad("A1  NOOP").message, "Missing command");
    EXPECT_EQ(parse_bad("A1 DONE").message, "Unknown command DONE");
}

TEST(ImapParse, Login) {
    ImapCommand c = parse_ok("a1 LOGIN alice s3cr]t");
    EXPECT_EQ(c.name, CommandName::login);
    EXPECT_EQ(c.user, "alice");
    EXPECT_EQ(c.password, "s3cr]t");

    c = parse_ok(R"(a1 login "al ice" "p\"w\\d")");
    EXPECT_EQ(c.user, "al ice");
    EXPECT_EQ(c.password, "p\"w\\d");

    c = parse_ok("a1 LOGIN {5}\r\nalice {7+}\r\np\"(){ w");
    EXPECT_EQ(c.user, "alice");
    EXPECT_EQ(c.password, "p\"(){ w");

    c = parse_ok("a1 LOGIN \"\" \"j\xc3\xb6rg\"");  // UTF-8 in a quoted string
    EXPECT_EQ(c.user, "");
    EXPECT_EQ(c.password, "j\xc3\xb6rg");

    EXPECT_EQ(parse_bad("a1 LOGIN").message, "Missing user name");
    EXPECT_EQ(parse_bad("a1 LOGIN alice").message, "Missing password");
    EXPECT_EQ(parse_bad("a1 LOGIN alice ").message, "Missing password");
    EXPECT_EQ(parse_bad("a1 LOGIN alice  pw").message, "Missing password");
    // Nothing of a password is quoted back.
    EXPECT_EQ(parse_bad("a1 LOGIN alice pw extra").message, "Invalid password");
    EXPECT_EQ(parse_bad("a1 LOGIN alice pw(d").message, "Invalid password");
    EXPECT_EQ(parse_bad("a1 LOGIN alice {2}\r\npwd").message, "Invalid password");
    EXPECT_EQ(parse_bad("a1 LOGIN \"alice pw").message, "Unterminated quoted string");
    EXPECT_EQ(parse_bad("a1 LOGIN \"a\\lice\" pw").message, "Invalid escape in a quoted string");
    EXPECT_EQ(parse_bad("a1 LOGIN \"j\xf6rg\" pw").message, "Invalid character in a quoted string");
    EXPECT_EQ(parse_bad("a1 LOGIN {10}\r\nalice").message, "Literal shorter than announced");
    EXPECT_EQ(parse_bad("a1 LOGIN {5}alice pw").message, "Invalid literal");
    EXPECT_EQ(parse_bad(std::string("a1 LOGIN {3}\r\na\0c pw", 20)).message, "NUL in a literal");
    EXPECT_EQ(parse_bad("a1 LOGIN al%ce pw").message, "Invalid user name al%ce");
    EXPECT_EQ(parse_bad("a1 LOGIN T\xc3\xb6st pw").message, "Invalid user name T??st");
    EXPECT_EQ(parse_bad("a1 LOGIN (alice) pw").message, "Invalid user name (alice)");
}

TEST(ImapParse, AuthenticateWithOptionalInitialResponse) {
    ImapCommand c = parse_ok("a AUTHENTICATE plain");
    EXPECT_EQ(c.name, CommandName::authenticate);
    EXPECT_EQ(c.mechanism, "PLAIN");
    EXPECT_FALSE(c.initial_response);

    c = parse_ok("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");
    ASSERT_TRUE(c.initial_response);
    EXPECT_EQ(*c.initial_response, "AGFsaWNlAHNlY3JldA==");

    c = parse_ok("a AUTHENTICATE EXTERNAL =");  // RFC 4959: an empty initial response
    ASSERT_TRUE(c.initial_response);
    EXPECT_EQ(*c.initial_response, "");

    EXPECT_EQ(parse_bad("a AUTHENTICATE").message, "Missing SASL mechanism");
    EXPECT_EQ(parse_bad("a AUTHENTICATE PLAIN ").message, "Missing initial response");
    EXPECT_EQ(parse_bad("a AUTHENTICATE PLAIN abc").message, "Invalid initial response");
    EXPECT_EQ(parse_bad("a AUTHENTICATE PLAIN ab=c").message, "Invalid initial response");
    EXPECT_EQ(parse_bad("a AUTHENTICATE PLAIN AGFs aWNl").message, "Invalid initial response");
    EXPECT_EQ(parse_bad("a AUTHENTICATE \"PLAIN\"").message, "Invalid SASL mechanism \"PLAIN\"");
}

TEST(ImapParse, Enable) {
    const ImapCommand c = parse_ok("t ENABLE condstore UTF8=ACCEPT");
    EXPECT_EQ(c.name, CommandName::enable);
    EXPECT_EQ(c.capabilities, (std::vector<std::string>{"CONDSTORE", "UTF8=ACCEPT"}));
    EXPECT_EQ(parse_bad("t ENABLE").message, "Missing capability name");
    EXPECT_EQ(parse_bad("t ENABLE X ").message, "Missing capability name");
}

TEST(ImapParse, MailboxCommandsNormaliseInbox) {
    const std::pair<std::string_view, CommandName> cases[] = {
        {"SELECT", CommandName::select},       {"EXAMINE", CommandName::examine},
        {"CREATE", CommandName::create},       {"DELETE", CommandName::delete_},
        {"SUBSCRIBE", CommandName::subscribe}, {"UNSUBSCRIBE", CommandName::unsubscribe},
    };
    for (const auto& [word, name] : cases) {
        const std::string w(word);
        ImapCommand c = parse_ok("m " + w + " inbox");
        EXPECT_EQ(c.name, name);
        EXPECT_EQ(c.mailbox, "INBOX");
        EXPECT_EQ(parse_ok("m " + w + " \"InBoX\"").mailbox, "INBOX");
        EXPECT_EQ(parse_ok("m " + w + " {5}\r\niNbOx").mailbox, "INBOX");
        EXPECT_EQ(parse_ok("m " + w + " inbox.Sent").mailbox, "inbox.Sent");
        EXPECT_EQ(parse_ok("m " + w + " \"Sent Items\"").mailbox, "Sent Items");
        EXPECT_EQ(parse_ok("m " + w + " ~peter/mail/&U,BTFw-/&ZeVnLIqe-").mailbox,
                  "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        EXPECT_EQ(parse_bad("m " + w).message, "Missing mailbox name");
        EXPECT_EQ(parse_bad("m " + w + " ").message, "Missing mailbox name");
        EXPECT_EQ(parse_bad("m " + w + " a b").message, "Unexpected text after the command: b");
    }
}

TEST(ImapParse, Rename) {
    const ImapCommand c = parse_ok("r RENAME \"Old one\" inbox");
    EXPECT_EQ(c.name, CommandName::rename);
    EXPECT_EQ(c.mailbox, "Old one");
    EXPECT_EQ(c.new_name, "INBOX");
    EXPECT_EQ(parse_bad("r RENAME old").message, "Missing new mailbox name");
}

TEST(ImapParse, ListAndLsub) {
    ImapCommand c = parse_ok("l LIST \"\" *");
    EXPECT_EQ(c.name, CommandName::list);
    EXPECT_EQ(c.reference, "");
    EXPECT_EQ(c.pattern, "*");

    c = parse_ok("l list ~/Mail/ %]x*");
    EXPECT_EQ(c.reference, "~/Mail/");
    EXPECT_EQ(c.pattern, "%]x*");

    c = parse_ok("l LSUB \"#news.\" \"comp.mail.%\"");
    EXPECT_EQ(c.name, CommandName::lsub);
    EXPECT_EQ(c.reference, "#news.");
    EXPECT_EQ(c.pattern, "comp.mail.%");

    EXPECT_EQ(parse_ok("l LIST \"\" inbox").pattern, "INBOX");
    EXPECT_EQ(parse_ok("l LIST \"\" {3}\r\na%b").pattern, "a%b");

    EXPECT_EQ(parse_bad("l LIST").message, "Missing reference name");
    EXPECT_EQ(parse_bad("l LIST \"\"").message, "Missing mailbox pattern");
    EXPECT_EQ(parse_bad("l LIST * *").message, "Invalid reference name *");
    EXPECT_EQ(parse_bad("l LIST \"\" (x)").message, "Invalid mailbox pattern (x)");
}

TEST(ImapParse, Status) {
    const ImapCommand c =
        parse_ok("s STATUS blurdybloop (UIDNEXT messages RECENT UIDVALIDITY UNSEEN)");
    EXPECT_EQ(c.name, CommandName::status);
    EXPECT_EQ(c.mailbox, "blurdybloop");
    EXPECT_EQ(c.status, (std::vector<StatusItem>{StatusItem::uid_next, StatusItem::messages,
                                                 StatusItem::recent, StatusItem::uid_validity,
                                                 StatusItem::unseen}));
    EXPECT_EQ(parse_bad("s STATUS x").message, "Missing status items");
    EXPECT_EQ(parse_bad("s STATUS x MESSAGES").message,
              "Expected \"(\" before the status items at MESSAGES");
    EXPECT_EQ(parse_bad("s STATUS x ()").message, "Missing status item");
    EXPECT_EQ(parse_bad("s STATUS x (SIZE)").message, "Unknown status item SIZE");
    EXPECT_EQ(parse_bad("s STATUS x (MESSAGES").message,
              "Missing \")\" after the last status item");
    EXPECT_EQ(parse_bad("s STATUS x (MESSAGES  UNSEEN)").message, "Missing status item");
}

TEST(ImapParse, AppendWithFlagsDateAndLiteral) {
    ImapCommand c = parse_ok(
        "A003 APPEND saved-messages (\\Seen $Forwarded) \"17-Jul-1996 02:44:25 -0700\" "
        "{22}\r\nSubject: hi\r\n\r\nhello\r\n");
    EXPECT_EQ(c.name, CommandName::append);
    EXPECT_EQ(c.mailbox, "saved-messages");
    EXPECT_EQ(c.append_flags, (std::vector<Flag>{"\\Seen", "$Forwarded"}));
    ASSERT_TRUE(c.append_date);
    EXPECT_EQ(c.append_date->unix_seconds, 837596665);
    EXPECT_EQ(c.append_date->zone_minutes, -420);
    EXPECT_EQ(c.message, "Subject: hi\r\n\r\nhello\r\n");

    c = parse_ok("A APPEND inbox {3+}\r\nabc");
    EXPECT_EQ(c.mailbox, "INBOX");
    EXPECT_TRUE(c.append_flags.empty());
    EXPECT_FALSE(c.append_date);
    EXPECT_EQ(c.message, "abc");

    c = parse_ok("A APPEND x () \" 1-Feb-1994 10:00:00 +0430\" {0}\r\n");
    EXPECT_EQ(c.append_date->unix_seconds, 760080600);
    EXPECT_EQ(c.append_date->zone_minutes, 270);
    EXPECT_EQ(c.message, "");

    c = parse_ok("A APPEND x (\\sEEN \\dRaFt \\X-Ext) {1}\r\nm");  // system flags in their case
    EXPECT_EQ(c.append_flags, (std::vector<Flag>{"\\Seen", "\\Draft", "\\X-Ext"}));

    EXPECT_EQ(parse_bad("A APPEND x").message, "Missing message literal");
    EXPECT_EQ(parse_bad("A APPEND x (\\Seen)").message, "Missing message literal");
    EXPECT_EQ(parse_bad("A APPEND x \"message\"").message, "Invalid date-time \"message\"");
    EXPECT_EQ(parse_bad("A APPEND x message").message, "Expected the message as a literal");
    EXPECT_EQ(parse_bad("A APPEND x (\\Recent) {1}\r\nm").message, "\\Recent cannot be set");
    EXPECT_EQ(parse_bad("A APPEND x (\\*) {1}\r\nm").message, "Invalid flag \\*");
    EXPECT_EQ(parse_bad("A APPEND x (\\Seen {1}\r\nm").message, "Invalid flag {1}??m");
    EXPECT_EQ(parse_bad("A APPEND x {2}\r\nm").message, "Literal shorter than announced");
    EXPECT_EQ(parse_bad("A APPEND x {1}\r\nmm").message, "Unexpected text after the command: m");
}

TEST(ImapParse, DateTimesFollowTheFixedFormat) {
    const auto date_of = [](std::string_view dt) {
        return parse_command("A APPEND x \"" + std::string(dt) + "\" {0}\r\n");
    };
    EXPECT_TRUE(date_of("17-Jul-1996 02:44:25 -0700").ok());
    EXPECT_TRUE(date_of("07-jul-1996 02:44:25 +0000").ok());
    EXPECT_TRUE(date_of("29-Feb-2024 23:59:60 +1400").ok());
    const std::string_view bad[] = {
        "7-Jul-1996 02:44:25 -0700",    // date-day-fixed: space-padded or two digits
        "17-Jul-96 02:44:25 -0700",     // four-digit year
        "17-Jly-1996 02:44:25 -0700",   // month name
        "30-Feb-2024 02:44:25 -0700",   // no such day
        "29-Feb-2023 02:44:25 -0700",   // not a leap year
        "00-Jan-2024 02:44:25 -0700",   // day 0
        "17-Jul-1996 24:00:00 -0700",   // hour
        "17-Jul-1996 02:60:25 -0700",   // minute
        "17-Jul-1996 02:44:25 0700",    // zone sign
        "17-Jul-1996 02:44:25 -0760",   // zone minutes
        "17-Jul-1996 02:44:25 -07000",  // zone length
        "17-Jul-1996  2:44:25 -0700",   // time is 2DIGIT
    };
    for (const auto dt : bad) {
        EXPECT_FALSE(date_of(dt).ok()) << dt;
    }
}

TEST(ImapParse, SequenceSets) {
    const ImapCommand c = parse_ok("f FETCH 1:*,5,7:9,*:3,4294967295 FLAGS");
    EXPECT_EQ(c.set.ranges,
              (std::vector<SequenceRange>{
                  {1, kStar}, {5, 5}, {7, 9}, {kStar, 3}, {4294967295u, 4294967295u}}));
    EXPECT_EQ(parse_ok("f FETCH * FLAGS").set.ranges, (std::vector<SequenceRange>{{kStar, kStar}}));
    const std::string_view bad[] = {"0",  "1:0",  "01",    "4294967296", "1:x",  "1,",
                                    ",1", "1::2", "1:2:3", "-1",         "1 ,2", "*1"};
    for (const auto set : bad) {
        const auto e = parse_bad("f FETCH " + std::string(set) + " FLAGS");
        EXPECT_EQ(e.tag, "f");
        EXPECT_TRUE(e.message.starts_with("Invalid sequence set") ||
                    e.message.starts_with("Unknown FETCH attribute"))
            << set << ": " << e.message;
    }
    EXPECT_EQ(parse_bad("f FETCH 1:x FLAGS").message, "Invalid sequence set 1:x");
    EXPECT_EQ(parse_bad("f FETCH").message, "Missing sequence set");

    std::string many = "f FETCH 1";
    for (std::size_t i = 1; i < kImapMaxSequenceRanges; ++i) {
        many += ",1";
    }
    EXPECT_TRUE(parse_command(many + " UID").ok());
    EXPECT_EQ(parse_bad(many + ",1 UID").message.substr(0, 20), "Invalid sequence set");
}

// ---- FETCH ---------------------------------------------------------------------------------

FetchAttribute simple(FetchAttribute::Kind kind) {
    FetchAttribute a;
    a.kind = kind;
    return a;
}

FetchAttribute section(std::vector<std::uint32_t> part, Section::Text text, bool peek = false,
                       std::vector<std::string> fields = {},
                       std::optional<Partial> partial = std::nullopt) {
    FetchAttribute a;
    a.kind = FetchAttribute::Kind::body_section;
    a.section.part = std::move(part);
    a.section.text = text;
    a.section.fields = std::move(fields);
    a.peek = peek;
    a.partial = partial;
    return a;
}

TEST(ImapParse, FetchMacrosExpand) {
    using K = FetchAttribute::Kind;
    EXPECT_EQ(parse_ok("f FETCH 1 fast").fetch,
              (std::vector{simple(K::flags), simple(K::internal_date), simple(K::rfc822_size)}));
    EXPECT_EQ(parse_ok("f FETCH 1 ALL").fetch,
              (std::vector{simple(K::flags), simple(K::internal_date), simple(K::rfc822_size),
                           simple(K::envelope)}));
    EXPECT_EQ(parse_ok("f FETCH 1 Full").fetch,
              (std::vector{simple(K::flags), simple(K::internal_date), simple(K::rfc822_size),
                           simple(K::envelope), simple(K::body)}));
    EXPECT_EQ(parse_bad("f FETCH 1 (ALL)").message, "Unknown FETCH attribute ALL");
    EXPECT_EQ(parse_bad("f FETCH 1 (FLAGS FAST)").message, "Unknown FETCH attribute FAST");
}

TEST(ImapParse, FetchAttributes) {
    using K = FetchAttribute::Kind;
    using T = Section::Text;
    const ImapCommand c = parse_ok(
        "f fetch 2:4 (envelope FLAGS InternalDate RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT "
        "BODY BODYSTRUCTURE UID BODY[] BODY.PEEK[HEADER] body[1.2.TEXT]<0.2048> "
        "BODY[HEADER.FIELDS (From \"To\" {2}\r\nCc)] BODY.PEEK[2.HEADER.FIELDS.NOT (Received)] "
        "BODY[3.MIME] BODY[4] BODY[TEXT]<100.1> BODY[2.1.HEADER])");
    EXPECT_EQ(c.name, CommandName::fetch);
    EXPECT_EQ(c.set.ranges, (std::vector<SequenceRange>{{2, 4}}));
    const std::vector<FetchAttribute> want = {
        simple(K::envelope),
        simple(K::flags),
        simple(K::internal_date),
        simple(K::rfc822),
        simple(K::rfc822_header),
        simple(K::rfc822_size),
        simple(K::rfc822_text),
        simple(K::body),
        simple(K::body_structure),
        simple(K::uid),
        section({}, T::all),
        section({}, T::header, true),
        section({1, 2}, T::text, false, {}, Partial{0, 2048}),
        section({}, T::header_fields, false, {"From", "To", "Cc"}),
        section({2}, T::header_fields_not, true, {"Received"}),
        section({3}, T::mime),
        section({4}, T::all),
        section({}, T::text, false, {}, Partial{100, 1}),
        section({2, 1}, T::header),
    };
    EXPECT_EQ(c.fetch, want);
    EXPECT_EQ(parse_ok("f FETCH 1 BODY.PEEK[]<0.1>").fetch,
              (std::vector{section({}, T::all, true, {}, Partial{0, 1})}));
}

TEST(ImapParse, FetchErrors) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"f FETCH 1", "Missing FETCH attributes"},
        {"f FETCH 1 ", "Missing FETCH attributes"},
        {"f FETCH 1 ()", "Missing FETCH attribute"},
        {"f FETCH 1 (FLAGS", "Missing \")\" after the last FETCH attribute"},
        {"f FETCH 1 (FLAGS  UID)", "Missing FETCH attribute"},
        {"f FETCH 1 FOO", "Unknown FETCH attribute FOO"},
        {"f FETCH 1 RFC822.FOO", "Unknown FETCH attribute RFC822.FOO"},
        {"f FETCH 1 BODY.PEEK", "Missing \"[\""},
        {"f FETCH 1 BODY[", "Invalid section"},
        {"f FETCH 1 BODY[HEADER", "Missing \"]\" after the section"},
        {"f FETCH 1 BODY[MIME]", "MIME needs a part number"},
        {"f FETCH 1 BODY[0]", "Invalid section part number"},
        {"f FETCH 1 BODY[1.0]", "Invalid section part number"},
        {"f FETCH 1 BODY[1.]", "Invalid section"},
        {"f FETCH 1 BODY[FOO]", "Invalid section FOO"},
        {"f FETCH 1 BODY[HEADER.FIELDS]", "Expected a space before header field names"},
        {"f FETCH 1 BODY[HEADER.FIELDS ()]", "Missing header field name"},
        {"f FETCH 1 BODY[HEADER.FIELDS From]",
         "Expected \"(\" before the header field names at From]"},
        {"f FETCH 1 BODY[]<0>", "Invalid partial range"},
        {"f FETCH 1 BODY[]<0.0>", "Invalid partial range"},
        {"f FETCH 1 BODY[]<x.1>", "Invalid partial range"},
        {"f FETCH 1 BODY[]<0.1", "Invalid partial range"},
        {"f FETCH 1 BODY[]x", "Unknown FETCH attribute BODY[]x"},
        {"f FETCH 1 FLAGS)", "Unexpected text after the command: )"},
    };
    for (const auto& [text, message] : cases) {
        const auto e = parse_bad(text);
        EXPECT_EQ(e.message, message) << text;
        EXPECT_EQ(e.tag, "f");
    }
}

TEST(ImapParse, FetchCountsAreBounded) {
    std::string text = "f FETCH 1 (UID";
    for (std::size_t i = 1; i < kImapMaxFetchAttributes; ++i) {
        text += " UID";
    }
    EXPECT_EQ(parse_ok(text + ")").fetch.size(), kImapMaxFetchAttributes);
    EXPECT_EQ(parse_bad(text + " UID)").message, "Too many FETCH attributes");

    std::string fields = "f FETCH 1 BODY[HEADER.FIELDS (A";
    for (std::size_t i = 1; i < kImapMaxHeaderFields; ++i) {
        fields += " A";
    }
    EXPECT_TRUE(parse_command(fields + ")]").ok());
    EXPECT_EQ(parse_bad(fields + " A)]").message, "Too many header field names");

    std::string parts = "f FETCH 1 BODY[1";
    for (std::size_t i = 1; i < kImapMaxSectionParts; ++i) {
        parts += ".1";
    }
    EXPECT_TRUE(parse_command(parts + "]").ok());
    EXPECT_EQ(parse_bad(parts + ".1]").message, "Too many section part numbers");
}

// ---- STORE, COPY, MOVE, UID ----------------------------------------------------------------

TEST(ImapParse, Store) {
    ImapCommand c = parse_ok("s STORE 2:4 +FLAGS (\\Deleted)");
    EXPECT_EQ(c.name, CommandName::store);
    EXPECT_EQ(c.store.mode, StoreAction::Mode::add);
    EXPECT_FALSE(c.store.silent);
    EXPECT_EQ(c.store.flags, (std::vector<Flag>{"\\Deleted"}));

    c = parse_ok("s store 1 -flags.silent \\seen $Junk NonJunk");
    EXPECT_EQ(c.store.mode, StoreAction::Mode::remove);
    EXPECT_TRUE(c.store.silent);
    EXPECT_EQ(c.store.flags, (std::vector<Flag>{"\\Seen", "$Junk", "NonJunk"}));

    c = parse_ok("s STORE * FLAGS ()");
    EXPECT_EQ(c.store.mode, StoreAction::Mode::replace);
    EXPECT_TRUE(c.store.flags.empty());

    c = parse_ok("s STORE 1 FLAGS.SILENT (\\Answered \\Flagged \\Draft)");
    EXPECT_EQ(c.store.flags, (std::vector<Flag>{"\\Answered", "\\Flagged", "\\Draft"}));

    EXPECT_EQ(parse_bad("s STORE 1").message, "Missing STORE data item");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS").message, "Missing flags");
    EXPECT_EQ(parse_bad("s STORE 1 +FLAGS ").message, "Missing flags");
    EXPECT_EQ(parse_bad("s STORE 1 *FLAGS (\\Seen)").message, "Invalid STORE data item *FLAGS");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS.LOUD (\\Seen)").message,
              "Invalid STORE data item FLAGS.LOUD");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS (\\Recent)").message, "\\Recent cannot be set");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS \\Seen \\*").message, "Invalid flag \\*");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS (\"x\")").message, "Invalid flag \"x\"");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS (a b").message, "Missing \")\" after the last flag");
    EXPECT_EQ(parse_bad("s STORE 1 FLAGS a ").message, "Missing flag");

    std::string many = "s STORE 1 FLAGS (k";
    for (std::size_t i = 1; i < kImapMaxFlags; ++i) {
        many += " k";
    }
    EXPECT_TRUE(parse_command(many + ")").ok());
    EXPECT_EQ(parse_bad(many + " k)").message, "Too many flags");
}

TEST(ImapParse, CopyMoveAndUidCommands) {
    ImapCommand c = parse_ok("c COPY 2:4 MEETING");
    EXPECT_EQ(c.name, CommandName::copy);
    EXPECT_FALSE(c.uid);
    EXPECT_EQ(c.mailbox, "MEETING");

    c = parse_ok("c MOVE 1 inbox");
    EXPECT_EQ(c.name, CommandName::move);
    EXPECT_EQ(c.mailbox, "INBOX");

    c = parse_ok("c UID COPY 4827313:4828442 \"Saved Messages\"");
    EXPECT_EQ(c.name, CommandName::copy);
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.set.ranges, (std::vector<SequenceRange>{{4827313, 4828442}}));

    c = parse_ok("c uid move 1:* Trash");
    EXPECT_EQ(c.name, CommandName::move);
    EXPECT_TRUE(c.uid);

    c = parse_ok("c UID FETCH 1:* (FLAGS)");
    EXPECT_EQ(c.name, CommandName::fetch);
    EXPECT_TRUE(c.uid);

    c = parse_ok("c UID STORE 5 +FLAGS.SILENT (\\Seen)");
    EXPECT_EQ(c.name, CommandName::store);
    EXPECT_TRUE(c.uid);

    c = parse_ok("c UID SEARCH UID 1:100");
    EXPECT_EQ(c.name, CommandName::search);
    EXPECT_TRUE(c.uid);

    c = parse_ok("c UID EXPUNGE 3000:3002");  // UIDPLUS
    EXPECT_EQ(c.name, CommandName::expunge);
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.set.ranges, (std::vector<SequenceRange>{{3000, 3002}}));

    EXPECT_EQ(parse_bad("c UID").message, "Missing command after UID");
    EXPECT_EQ(parse_bad("c UID NOOP").message, "Unknown command UID NOOP");
    EXPECT_EQ(parse_bad("c UID UID FETCH 1 FLAGS").message, "Unknown command UID UID");
    EXPECT_EQ(parse_bad("c UID EXPUNGE").message, "Missing sequence set");
    EXPECT_EQ(parse_bad("c COPY 1").message, "Missing mailbox name");
    EXPECT_EQ(parse_bad("c MOVE x y").message, "Invalid sequence set x");
}

// ---- SEARCH --------------------------------------------------------------------------------

SearchKey key(SearchKey::Kind kind) {
    SearchKey k;
    k.kind = kind;
    return k;
}

SearchKey text_key(SearchKey::Kind kind, std::string text, std::string value = {}) {
    SearchKey k = key(kind);
    k.text = std::move(text);
    k.value = std::move(value);
    return k;
}

SearchKey date_key(SearchKey::Kind kind, ImapDate date) {
    SearchKey k = key(kind);
    k.date = date;
    return k;
}

SearchKey parent(SearchKey::Kind kind, std::vector<SearchKey> children) {
    SearchKey k = key(kind);
    k.children = std::move(children);
    return k;
}

TEST(ImapParse, EverySearchKey) {
    using K = SearchKey::Kind;
    const ImapCommand c = parse_ok(
        "s SEARCH ALL ANSWERED BCC b BEFORE 1-Feb-1994 BODY \"x y\" CC c DELETED DRAFT FLAGGED "
        "FROM {3}\r\nf\"r HEADER List-Id ml KEYWORD $Junk LARGER 1000 NEW NOT SEEN OLD "
        "ON \"01-Feb-1994\" OR RECENT UNSEEN SENTBEFORE 2-mar-2000 SENTON 31-Dec-1999 "
        "SENTSINCE 1-Jan-2000 SINCE 29-Feb-2024 SMALLER 0 SUBJECT s TEXT t TO to UID 1:5 "
        "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD NonJunk 2,4:* (FLAGGED SEEN)");
    EXPECT_EQ(c.name, CommandName::search);
    EXPECT_FALSE(c.charset);
    SearchKey larger = key(K::larger);
    larger.number = 1000;
    SearchKey smaller = key(K::smaller);
    smaller.number = 0;
    SearchKey uid = key(K::uid);
    uid.set.ranges = {{1, 5}};
    SearchKey set = key(K::sequence_set);
    set.set.ranges = {{2, 2}, {4, kStar}};
    const std::vector<SearchKey> want = {
        key(K::all),
        key(K::answered),
        text_key(K::bcc, "b"),
        date_key(K::before, {1994, 2, 1}),
        text_key(K::body, "x y"),
        text_key(K::cc, "c"),
        key(K::deleted),
        key(K::draft),
        key(K::flagged),
        text_key(K::from, "f\"r"),
        text_key(K::header, "List-Id", "ml"),
        text_key(K::keyword, "$Junk"),
        larger,
        key(K::new_),
        parent(K::not_, {key(K::seen)}),
        key(K::old),
        date_key(K::on, {1994, 2, 1}),
        parent(K::or_, {key(K::recent), key(K::unseen)}),
        date_key(K::sent_before, {2000, 3, 2}),
        date_key(K::sent_on, {1999, 12, 31}),
        date_key(K::sent_since, {2000, 1, 1}),
        date_key(K::since, {2024, 2, 29}),
        smaller,
        text_key(K::subject, "s"),
        text_key(K::text, "t"),
        text_key(K::to, "to"),
        uid,
        key(K::unanswered),
        key(K::undeleted),
        key(K::undraft),
        key(K::unflagged),
        text_key(K::unkeyword, "NonJunk"),
        set,
        parent(K::and_, {key(K::flagged), key(K::seen)}),
    };
    EXPECT_EQ(c.search, parent(K::and_, want));
}

TEST(ImapParse, SearchCharsetAndNesting) {
    using K = SearchKey::Kind;
    ImapCommand c = parse_ok("s SEARCH CHARSET UTF-8 TEXT {6}\r\nXX\xe2\x82\xac\x21");
    ASSERT_TRUE(c.charset);
    EXPECT_EQ(*c.charset, "UTF-8");
    EXPECT_EQ(c.search, parent(K::and_, {text_key(K::text, "XX\xe2\x82\xac!")}));

    c = parse_ok("s search or (from a not to b) or seen (deleted) not not all");
    EXPECT_EQ(c.search,
              parent(K::and_,
                     {parent(K::or_,
                             {parent(K::and_, {text_key(K::from, "a"),
                                               parent(K::not_, {text_key(K::to, "b")})}),
                              parent(K::or_, {key(K::seen), parent(K::and_, {key(K::deleted)})})}),
                      parent(K::not_, {parent(K::not_, {key(K::all)})})}));

    // 32 levels: the top-level key and 31 NOTs/parentheses inside it.
    std::string deep = "s SEARCH ";
    for (std::size_t i = 1; i < kImapMaxSearchDepth; ++i) {
        deep += i % 2 ? "NOT " : "(";
    }
    std::string closing;
    for (std::size_t i = 1; i < kImapMaxSearchDepth; ++i) {
        closing += i % 2 ? "" : ")";
    }
    EXPECT_TRUE(parse_command(deep + "ALL" + closing).ok()) << deep + "ALL" + closing;
    EXPECT_EQ(parse_bad(deep + "NOT ALL" + closing).message, "Search keys nested too deeply");
    EXPECT_EQ(parse_bad("s SEARCH " + std::string(10000, '(') + "ALL").message,
              "Search keys nested too deeply");

    std::string many = "s SEARCH ALL";
    for (std::size_t i = 1; i < kImapMaxSearchKeys; ++i) {
        many += " ALL";
    }
    EXPECT_TRUE(parse_command(many).ok());
    EXPECT_EQ(parse_bad(many + " ALL").message, "Too many search keys");
}

TEST(ImapParse, SearchErrors) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"s SEARCH", "Missing search keys"},
        {"s SEARCH ", "Missing search keys"},
        {"s SEARCH ALL ", "Missing search key"},
        {"s SEARCH FOO", "Unknown search key FOO"},
        {"s SEARCH ()", "Missing search key"},
        {"s SEARCH (ALL", "Missing \")\" after the last search key"},
        {"s SEARCH ALL)", "Expected a space before search key"},
        {"s SEARCH CHARSET", "Missing charset"},
        {"s SEARCH CHARSET UTF-8", "Missing search keys"},
        {"s SEARCH BEFORE", "Missing argument of BEFORE"},
        {"s SEARCH BEFORE 1994-02-01", "Invalid date 1994-02-01"},
        {"s SEARCH ON 31-Apr-2000", "Invalid date 31-Apr-2000"},
        {"s SEARCH ON 1-Feb-94", "Invalid date 1-Feb-94"},
        {"s SEARCH ON 001-Feb-1994", "Invalid date 001-Feb-1994"},
        {"s SEARCH ON \"1-Feb-1994", "Invalid date \"1-Feb-1994"},
        {"s SEARCH LARGER x", "Invalid number x"},
        {"s SEARCH LARGER 4294967296", "Invalid number 4294967296"},
        {"s SEARCH KEYWORD \\Seen", "Invalid keyword \\Seen"},
        {"s SEARCH KEYWORD", "Missing argument of KEYWORD"},
        {"s SEARCH HEADER Subject", "Missing argument of HEADER"},
        {"s SEARCH OR SEEN", "Missing argument of OR"},
        {"s SEARCH NOT", "Missing argument of NOT"},
        {"s SEARCH UID x", "Invalid sequence set x"},
        {"s SEARCH 0", "Invalid sequence set 0"},
        {"s SEARCH SUBJECT \"a", "Unterminated quoted string"},
        {"s SEARCH  ALL", "Missing search key"},
    };
    for (const auto& [text, message] : cases) {
        const auto e = parse_bad(text);
        EXPECT_EQ(e.message, message) << text;
        EXPECT_EQ(e.tag, "s");
    }
}

TEST(ImapParse, ErrorMessagesAreOnePrintableLine) {
    const auto e = parse_bad("A1 FOO\x01\xff" + std::string(100, 'x'));
    EXPECT_EQ(e.message.size(), std::string("Unknown command ").size() + 43);
    for (const char c : e.message) {
        EXPECT_TRUE(c >= 0x20 && c < 0x7f);
    }
}

}  // namespace
}  // namespace l7::mail::imap
