// l7::ftp::FtpServerSession over an in-memory file system, fed a client's byte stream in
// chunks of random sizes (never more than input_room() at once, as the driver reads), every
// request answered as a willing driver does: credentials accepted, the passive listener on
// port 5000, every data connection opened and every transfer complete (or aborted after an
// FtpAbort); a stored file appears in the file system. Whatever the bytes: the session never
// crashes, every send is non-empty and parses as well-formed replies (FtpReplyParser),
// nothing follows FtpClose, each answer is accepted when asked for, its input room stays
// within its limit, and it closes at EOF.
//
// The same bytes, line by line, go through the codec: parse_command, strip_telnet, the PORT,
// EPRT, 227 and 229 parsers (a parsed address formats and parses back to itself),
// resolve_path (resolved paths are canonical and stay so), render_reply (any text renders
// to exactly one reply), and the whole input through an FtpReplyParser with small limits.
//
// Input: byte 0 seeds the chunk sizes and the driver's choices (bit 0 trace, bit 1 anonymous
// allowed, bit 2 read-only login, bit 3 transfers finish only after the next chunk, so
// commands arrive during them); the rest is the client's stream. A seed corpus logs in and
// runs the commands of RFC 959, 2428 and 3659.

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "ftp/command.hpp"
#include "ftp/memory_fs.hpp"
#include "ftp/reply.hpp"
#include "ftp/session.hpp"
#include "ftp/virtual_path.hpp"
#include "fuzz_check.hpp"

using namespace l7::ftp;

namespace {

// The files the fuzzed sessions see, at most 1000 entries.
MemoryFs fuzz_files() {
    MemoryFs fs;
    fs.max_nodes = 1000;
    fs.add_dir("/pub");
    fs.add_file("/pub/readme.txt", 1234);
    fs.add_file("/pub/old.tar", 7);
    fs.add_dir("/empty");
    fs.add_file("/notes.txt", 42);
    return fs;
}

// A finished upload appears as a file (when its directory is still there).
void store(MemoryFs& fs, const std::string& path, std::uint64_t size) {
    if (fs.nodes.size() < fs.max_nodes && !fs.is_dir(path) &&
        fs.is_dir(std::string(parent_path(path)))) {
        fs.add_file(path, size);
    }
}

void render(std::string_view text, std::uint32_t seed);

// The codec on one line of the input.
void codec(std::string_view line, std::uint32_t seed) {
    const std::string stripped = strip_telnet(line);
    L7_FUZZ_CHECK(stripped.size() <= line.size());
    if (line.find('\xff') == std::string_view::npos) {
        L7_FUZZ_CHECK(stripped == line);
    }
    if (auto cmd = parse_command(stripped)) {
        L7_FUZZ_CHECK(cmd->verb.size() == 3 || cmd->verb.size() == 4);
        for (char c : cmd->verb) {
            L7_FUZZ_CHECK(c >= 'A' && c <= 'Z');
        }
        L7_FUZZ_CHECK(cmd->argument.size() + cmd->verb.size() <= stripped.size());
    }
    if (auto hp = parse_port_argument(line)) {
        auto text = format_port_argument(*hp);
        L7_FUZZ_CHECK(text.has_value());
        L7_FUZZ_CHECK(parse_port_argument(*text) == hp);
    }
    if (auto hp = parse_eprt_argument(line)) {
        L7_FUZZ_CHECK(hp->port != 0);
        L7_FUZZ_CHECK(parse_eprt_argument(format_eprt_argument(*hp)) == hp);
    }
    if (auto hp = parse_pasv_text(line)) {
        auto text = format_pasv_text(*hp);
        L7_FUZZ_CHECK(text.has_value());
        L7_FUZZ_CHECK(parse_pasv_text(*text) == hp);
    }
    if (auto port = parse_epsv_text(line)) {
        L7_FUZZ_CHECK(*port != 0);
        L7_FUZZ_CHECK(parse_epsv_text(format_epsv_text(*port)) == port);
    }
    if (auto path = resolve_path("/a/b", line)) {
        L7_FUZZ_CHECK(path->size() <= kMaxPathLength);
        L7_FUZZ_CHECK(path->front() == '/');
        L7_FUZZ_CHECK(*path == "/" || path->back() != '/');
        L7_FUZZ_CHECK(path->find("//") == std::string::npos);
        L7_FUZZ_CHECK(path->find("/./") == std::string::npos);
        L7_FUZZ_CHECK(path->find("/../") == std::string::npos);
        L7_FUZZ_CHECK(!path->ends_with("/..") && !path->ends_with("/."));
        L7_FUZZ_CHECK(resolve_path("/", *path) == path);
        L7_FUZZ_CHECK(resolve_path("/elsewhere", *path) == path);
    }
    render(line, seed);
}

// Any text renders to exactly one reply of as many lines as it has.
void render(std::string_view text, std::uint32_t seed) {
    const int code = 100 + static_cast<int>(seed % 500);
    FtpReplyParser parser;
    parser.feed(render_reply(code, text));
    FtpReply reply;
    L7_FUZZ_CHECK(parser.next(reply) == FtpReplyParser::Status::reply);
    L7_FUZZ_CHECK(reply.code == code);
    L7_FUZZ_CHECK(reply.lines.size() ==
                  1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
    L7_FUZZ_CHECK(parser.next(reply) == FtpReplyParser::Status::need_more);
    L7_FUZZ_CHECK(parser.buffered() == 0);
}

// The whole input as a server's replies, in chunks, with small limits.
void reply_parser(std::string_view input, std::uint32_t seed) {
    FtpReplyLimits limits;
    limits.max_line = 64 + seed % 512;
    limits.max_lines = 1 + seed % 16;
    FtpReplyParser parser(limits);
    while (!input.empty()) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n =
            std::min(input.size(), static_cast<std::size_t>(1 + (seed >> 16) % 64));
        parser.feed(input.substr(0, n));
        input.remove_prefix(n);
        FtpReply reply;
        for (;;) {
            const auto status = parser.next(reply);
            if (status == FtpReplyParser::Status::error) {
                L7_FUZZ_CHECK(!parser.error().empty());
                return;
            }
            if (status == FtpReplyParser::Status::need_more) {
                break;
            }
            L7_FUZZ_CHECK(reply.code >= 100 && reply.code <= 599);
            L7_FUZZ_CHECK(!reply.lines.empty());
            for (const std::string& l : reply.lines) {
                L7_FUZZ_CHECK(l.size() < limits.max_line);
            }
        }
        L7_FUZZ_CHECK(parser.buffered() <= limits.max_line);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    std::uint32_t seed = data[0] + 1u;
    const bool trace = (data[0] & 1) != 0;
    const bool anonymous = (data[0] & 2) != 0;
    const bool writable = (data[0] & 4) == 0;
    const bool deferred = (data[0] & 8) != 0;
    const bool tls = (data[0] & 16) != 0;
    const bool tls_required = (data[0] & 32) != 0;
    std::string_view input = l7::fuzz::as_text(data + 1, size - 1);

    // The codec, line by line (bounded: the session below gets the whole input).
    {
        std::string_view rest = input;
        for (int i = 0; i < 200 && !rest.empty(); ++i) {
            const std::size_t lf = rest.find('\n');
            std::string_view line = rest.substr(0, lf);
            if (line.ends_with('\r')) {
                line.remove_suffix(1);
            }
            codec(line, seed + static_cast<std::uint32_t>(i));
            rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
        }
        render(input.substr(0, 2000), seed);
        reply_parser(input, seed);
    }

    MemoryFs files = fuzz_files();
    FtpServerConfig config;
    config.hostname = "ftp.example.org";
    config.peer_address = "127.0.0.1";
    config.local_address = "127.0.0.1";
    config.anonymous = anonymous;
    config.tls_available = tls;
    config.tls_required = tls && tls_required;
    config.clock = [] { return std::int64_t{1700000000 + 86400}; };
    const std::size_t max_room = config.limits.max_line * 2;
    FtpServerSession session(config);
    session.trace().enable(trace);
    session.start();

    FtpReplyParser client;  // what the client reads: always well-formed replies
    bool closed = false;
    bool in_transfer = false;  // data connection open, the outcome not yet reported
    bool aborted = false;
    FtpTransfer transfer;

    auto finish = [&] {
        if (!in_transfer || closed) {
            return;
        }
        in_transfer = false;
        FtpTransferOutcome outcome;
        outcome.status =
            aborted ? FtpTransferOutcome::Status::aborted : FtpTransferOutcome::Status::complete;
        outcome.bytes = transfer.kind == FtpTransferKind::listing ? transfer.listing.size() : 99;
        if (!aborted && transfer.kind != FtpTransferKind::retrieve &&
            transfer.kind != FtpTransferKind::listing) {
            store(files, transfer.path, transfer.offset + 99);
        }
        aborted = false;
        L7_FUZZ_CHECK(session.transfer_result(outcome));
    };
    auto drain = [&] {
        for (int guard = 0; guard < 100000; ++guard) {
            auto ev = session.next_event();
            if (!ev) {
                // An FtpAbort is answered once the events before it are through; after
                // FtpClose (EOF or the deadline during a transfer) the answer is refused.
                if (aborted && in_transfer && closed) {
                    in_transfer = false;
                    L7_FUZZ_CHECK(!session.transfer_result(
                        FtpTransferOutcome{FtpTransferOutcome::Status::aborted, 0}));
                    L7_FUZZ_CHECK(!session.data_connection_result(true));
                    continue;
                }
                if (aborted && in_transfer) {
                    finish();
                    continue;
                }
                break;
            }
            L7_FUZZ_CHECK(!closed);
            if (auto* send = std::get_if<FtpSend>(&*ev)) {
                L7_FUZZ_CHECK(!send->bytes.empty());
                L7_FUZZ_CHECK(send->bytes.ends_with("\r\n"));
                client.feed(send->bytes);
                FtpReply reply;
                FtpReplyParser::Status status;
                while ((status = client.next(reply)) == FtpReplyParser::Status::reply) {
                }
                L7_FUZZ_CHECK(status == FtpReplyParser::Status::need_more);
                L7_FUZZ_CHECK(client.buffered() == 0);  // every send ends a reply
            } else if (auto* check = std::get_if<FtpCheckCredentials>(&*ev)) {
                L7_FUZZ_CHECK(!check->user.empty());
                L7_FUZZ_CHECK(session.login_result(FtpLogin{&files, writable}));
            } else if (std::holds_alternative<FtpOpenPassive>(*ev)) {
                L7_FUZZ_CHECK(session.passive_result(5000));
            } else if (auto* t = std::get_if<FtpTransfer>(&*ev)) {
                L7_FUZZ_CHECK(!in_transfer);
                L7_FUZZ_CHECK(t->listing.empty() || t->kind == FtpTransferKind::listing);
                L7_FUZZ_CHECK(t->path.starts_with('/'));
                transfer = *t;
                in_transfer = true;
                aborted = false;
                L7_FUZZ_CHECK(session.data_connection_result(true));
                if (!deferred) {
                    finish();
                }
            } else if (auto* start = std::get_if<FtpStartTls>(&*ev)) {
                L7_FUZZ_CHECK(tls);
                L7_FUZZ_CHECK(start->reply.starts_with("234 "));
                L7_FUZZ_CHECK(session.input_room() == 0);  // nothing read during the handshake
                L7_FUZZ_CHECK(session.tls_result((seed & 64) == 0));
                L7_FUZZ_CHECK(!session.tls_result(true));  // answered once
            } else if (std::holds_alternative<FtpAbort>(*ev)) {
                aborted = true;
            } else if (std::holds_alternative<FtpClose>(*ev)) {
                closed = true;
            }
        }
        session.trace().take();
        L7_FUZZ_CHECK(closed == (session.waiting_for() == FtpWaitingFor::nothing));
    };

    drain();
    while (!input.empty() && !closed) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t room = session.input_room();
        L7_FUZZ_CHECK(room <= max_room);
        if (room == 0) {
            if (in_transfer) {
                finish();  // a held command waits for the transfer's end
                drain();
                continue;
            }
            session.timed_out();  // a driver stops reading a client that cannot be served
            drain();
            break;
        }
        const std::size_t n =
            std::min({input.size(), room, static_cast<std::size_t>(1 + (seed >> 16) % 256)});
        session.receive(input.substr(0, n));
        input.remove_prefix(n);
        drain();
        if (deferred && (seed >> 8) % 4 == 0) {
            finish();
            drain();
        }
    }
    // EOF; lines still buffered are answered first, each transfer finishing in turn (an EOF
    // during a transfer with nothing buffered aborts it and closes).
    if (!closed) {
        session.receive({});
        drain();
    }
    for (int round = 0; round < 100000 && !closed && in_transfer; ++round) {
        finish();
        drain();
    }
    L7_FUZZ_CHECK(closed);
    L7_FUZZ_CHECK(session.input_room() == 0);
    return 0;
}
