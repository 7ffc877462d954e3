// `l7 ftp ls|get|put|mkdir|rm URL`: the FTP client of the course (RFC 959). Each verb is one
// session: log in, do the one thing, QUIT. The dialogue is ftp/client_session.hpp, the
// sockets ftp/asio/client.hpp; here are the URL and options, the local files (a download
// goes to a temporary file renamed into place at the end, or is appended to with
// --continue), the progress bar, and the exit codes, which are those of `l7 mail fetch`.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "app/cmd_ftp_parts.hpp"
#include "app/cmd_mail_parts.hpp"
#include "app/progress.hpp"
#include "core/log.hpp"
#include "core/staged_file.hpp"
#include "dns/asio/client_resolver.hpp"
#include "ftp/asio/client.hpp"
#include "tls/asio/context.hpp"

namespace l7::app {
namespace {

namespace fs = std::filesystem;

struct FtpClientFlags {
    CommonOptions common;
    std::string url;
    std::string file;    // put: the local file
    std::string output;  // get: -o FILE ("-": stdout)
    std::string password_file;
    std::string timeout;
    std::string connect_timeout;
    bool active = false;
    bool ascii = false;
    bool resume = false;     // --continue
    bool names = false;      // ls --names
    bool mlsd = false;       // ls --mlsd
    bool directory = false;  // rm --dir
    bool tls = false;        // AUTH TLS (RFC 4217)
    std::string cacert;      // --cacert FILE
    bool insecure = false;   // --insecure: any certificate
};

std::string errno_text() {
    return std::strerror(errno);
}

// --- the local ends ------------------------------------------------------------------------

std::optional<std::string> write_all(int fd, std::string_view data, const std::string& name) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return name + ": " + errno_text();
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return std::nullopt;
}

// ls, and get -o -: the bytes go to stdout as they come.
class ToStdout final : public ftp::FtpLocalData {
  public:
    std::optional<std::string> begin(const ftp::FtpClientTransfer&) override {
        return std::nullopt;
    }
    std::optional<std::string> write(std::string_view bytes) override {
        return write_all(STDOUT_FILENO, bytes, "stdout");
    }
    std::optional<std::string> read(std::string&) override { return "nothing to upload"; }
};

// get: a temporary file beside the target, renamed over it once the server confirmed the
// transfer (commit()); with --continue, the target itself, appended to.
class ToFile final : public ftp::FtpLocalData {
  public:
    ToFile(fs::path target, bool append) : target_(std::move(target)), append_(append) {}
    ~ToFile() override {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    ToFile(const ToFile&) = delete;
    ToFile& operator=(const ToFile&) = delete;

    std::optional<std::string> begin(const ftp::FtpClientTransfer&) override {
        if (append_) {
            fd_ = ::open(target_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
            return fd_ < 0 ? std::optional(target_.string() + ": " + errno_text()) : std::nullopt;
        }
        // A device or a pipe (-o /dev/null, a FIFO) is written to as it is: renaming a file
        // over it would replace the device node itself.
        struct stat st {};
        if (::stat(target_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
            if (S_ISDIR(st.st_mode)) {
                return target_.string() + ": is a directory";
            }
            fd_ = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC);
            return fd_ < 0 ? std::optional(target_.string() + ": " + errno_text()) : std::nullopt;
        }
        std::error_code ec;
        staged_ =
            StagedFile::create(target_.parent_path().empty() ? "." : target_.parent_path(), ec);
        if (!staged_) {
            return target_.string() + ": cannot create a temporary file beside it: " + ec.message();
        }
        const mode_t mask = ::umask(0);
        ::umask(mask);
        if ((ec = staged_->set_mode(0666 & ~mask))) {
            return target_.string() + ": " + ec.message();
        }
        return std::nullopt;
    }
    std::optional<std::string> write(std::string_view bytes) override {
        if (staged_) {
            auto ec = staged_->write(bytes);
            return ec ? std::optional(target_.string() + ": " + ec.message()) : std::nullopt;
        }
        return write_all(fd_, bytes, target_.string());
    }
    std::optional<std::string> read(std::string&) override { return "nothing to upload"; }
    void progress(std::uint64_t bytes, std::optional<std::uint64_t> total) override {
        bar_.update(bytes, total);
    }

    // After the server's 226: the temporary file becomes the target.
    std::optional<std::string> commit() {
        bar_.finish();
        if (staged_) {
            if (auto ec = staged_->replace(target_)) {
                return target_.string() + ": " + ec.message();
            }
            staged_.reset();
        } else if (fd_ >= 0 && ::close(std::exchange(fd_, -1)) != 0) {
            return target_.string() + ": " + errno_text();
        }
        return std::nullopt;
    }
    void abandon() { bar_.finish(); }  // the temporary file goes with staged_

  private:
    fs::path target_;
    bool append_;
    int fd_ = -1;
    std::optional<StagedFile> staged_;
    ProgressBar bar_;
};

// put: the file, from the offset the session settled on.
class FromFile final : public ftp::FtpLocalData {
  public:
    explicit FromFile(std::string path) : path_(std::move(path)) {}
    ~FromFile() override {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    FromFile(const FromFile&) = delete;
    FromFile& operator=(const FromFile&) = delete;

    std::optional<std::string> begin(const ftp::FtpClientTransfer& t) override {
        fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) {
            return path_ + ": " + errno_text();
        }
        if (::lseek(fd_, static_cast<off_t>(t.offset), SEEK_SET) < 0) {
            return path_ + ": " + errno_text();
        }
        return std::nullopt;
    }
    std::optional<std::string> write(std::string_view) override { return "nothing to download"; }
    std::optional<std::string> read(std::string& chunk) override {
        chunk.resize(64 * 1024);
        for (;;) {
            const ssize_t n = ::read(fd_, chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                chunk.clear();
                return path_ + ": " + errno_text();
            }
            chunk.resize(static_cast<std::size_t>(n));
            return std::nullopt;
        }
    }
    void progress(std::uint64_t bytes, std::optional<std::uint64_t> total) override {
        bar_.update(bytes, total);
    }
    void finish() { bar_.finish(); }

  private:
    std::string path_;
    int fd_ = -1;
    ProgressBar bar_;
};

// --- from the command line to a session ----------------------------------------------------

ftp::FtpUrl parse_url_option(const std::string& text) {
    auto url = ftp::parse_ftp_url(text);
    if (!url) {
        throw UsageError(url.error().message);
    }
    return *url;
}

// "dir/" and "dir" name the same directory for MKD, RMD, LIST; "/" stays the root.
std::string without_trailing_slashes(std::string path) {
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    return path;
}

// The password: from the URL, else --password-file (read as `l7 mail` reads it), else
// $L7_FTP_PASSWORD; anonymous users get the traditional "anonymous@" (RFC 1635).
std::string password_for(const FtpClientFlags& f, const ftp::FtpUrl& url, const std::string& user) {
    if (url.password) {
        return *url.password;
    }
    if (!f.password_file.empty()) {
        return mail_password(f.password_file, user);
    }
    if (const char* env = std::getenv("L7_FTP_PASSWORD")) {
        return env;
    }
    if (user == "anonymous" || user == "ftp") {
        return "anonymous@";
    }
    throw UsageError("user " + user +
                     ": give the password in the URL, with --password-file FILE or in "
                     "L7_FTP_PASSWORD");
}

std::uint64_t size_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// The session's settings for `op`, checking what only the command line can get wrong.
ftp::FtpClientConfig make_config(ftp::FtpOperation op, const FtpClientFlags& f,
                                 const ftp::FtpUrl& url) {
    ftp::FtpClientConfig config;
    config.operation = op;
    config.user = url.user.value_or("anonymous");
    config.password = password_for(f, url, config.user);
    config.active = f.active;
    config.ascii = f.ascii;
    config.resume = f.resume;
    config.tls = f.tls;
    if ((!f.cacert.empty() || f.insecure) && !f.tls) {
        throw UsageError(std::string(f.insecure ? "--insecure" : "--cacert") +
                         " is about TLS: give --tls too");
    }
    if (f.resume && f.ascii) {
        throw UsageError(
            "--continue and --ascii do not go together: byte offsets of a "
            "converted file mean nothing to the server");
    }
    switch (op) {
        case ftp::FtpOperation::list:
            if (f.names && f.mlsd) {
                throw UsageError("give --names or --mlsd, not both");
            }
            config.listing = f.names  ? ftp::FtpListing::names
                             : f.mlsd ? ftp::FtpListing::machine
                                      : ftp::FtpListing::list;
            config.path = without_trailing_slashes(url.path);
            break;
        case ftp::FtpOperation::get:
            if (url.names_directory()) {
                throw UsageError(f.url +
                                 " names a directory (its path ends in '/'): get needs "
                                 "a file");
            }
            config.path = url.path;
            break;
        case ftp::FtpOperation::put:
            config.path =
                url.names_directory() ? url.path + fs::path(f.file).filename().string() : url.path;
            config.local_size = size_of(f.file);
            break;
        case ftp::FtpOperation::mkdir:
        case ftp::FtpOperation::remove:
            config.path = without_trailing_slashes(url.path);
            config.remove_directory = f.directory;
            if (config.path.empty()) {
                throw UsageError(f.url + " names no file or directory");
            }
            break;
    }
    return config;
}

// get: where the file goes (-o, else the URL's last path segment in this directory).
fs::path output_path(const FtpClientFlags& f, const ftp::FtpUrl& url) {
    if (!f.output.empty()) {
        return f.output;
    }
    const std::string name = fs::path(url.path).filename().string();
    if (name.empty() || name == "." || name == "..") {
        throw UsageError(f.url + " has no file name to save under: give -o FILE");
    }
    return name;
}

void check_output(const FtpClientFlags& f, const fs::path& target) {
    std::error_code ec;
    const fs::path dir = target.parent_path().empty() ? "." : target.parent_path();
    if (!fs::is_directory(dir, ec)) {
        throw UsageError("-o " + target.string() + ": the directory " + dir.string() +
                         " does not exist");
    }
    if (fs::is_directory(target, ec)) {
        throw UsageError("-o " + target.string() + " is a directory");
    }
    if (f.resume && fs::exists(target, ec) && !fs::is_regular_file(target, ec)) {
        throw UsageError("--continue: " + target.string() + " is not a regular file");
    }
}

void check_upload(const FtpClientFlags& f) {
    struct stat st {};
    if (::stat(f.file.c_str(), &st) != 0) {
        throw UsageError(f.file + ": " + errno_text());
    }
    if (!S_ISREG(st.st_mode)) {
        throw UsageError(f.file + " is not a regular file");
    }
    if (::access(f.file.c_str(), R_OK) != 0) {
        throw UsageError(f.file + ": " + errno_text());
    }
}

// --- running -------------------------------------------------------------------------------

int exit_code(const ftp::FtpClientDone& done) {
    switch (done.failure) {
        case ftp::FtpClientFailure::login:
            return 67;
        case ftp::FtpClientFailure::tls:
            return 35;  // curl's "SSL connect error"
        default:
            return 1;
    }
}

int run_client(ftp::FtpOperation op, const std::string& verb, const FtpClientFlags& f,
               Context& ctx) {
    apply_common_options(f.common, ctx, false);
    const ftp::FtpUrl url = parse_url_option(f.url);
    const std::string program = "l7 ftp " + verb;
    if (op == ftp::FtpOperation::put) {
        check_upload(f);
    }
    ftp::FtpClientConfig config = make_config(op, f, url);

    std::unique_ptr<ftp::FtpLocalData> local;
    ToFile* to_file = nullptr;
    FromFile* from_file = nullptr;
    fs::path target;
    if (op == ftp::FtpOperation::get && f.output != "-") {
        target = output_path(f, url);
        check_output(f, target);
        config.local_size = f.resume ? size_of(target.string()) : 0;
        auto file = std::make_unique<ToFile>(target, f.resume);
        to_file = file.get();
        local = std::move(file);
    } else if (op == ftp::FtpOperation::put) {
        auto file = std::make_unique<FromFile>(f.file);
        from_file = file.get();
        local = std::move(file);
    } else {
        if (f.resume) {
            throw UsageError("--continue needs a file: it cannot append to stdout");
        }
        local = std::make_unique<ToStdout>();
    }

    const HostPort server{url.host, url.port};
    auto addresses = dns::resolve_host(url.host);
    if (!addresses) {
        std::cerr << program << ": " << addresses.error().message << "\n";
        return 6;
    }
    ftp::FtpClientRunOptions options;
    options.addresses = *addresses;
    options.port = url.port;
    options.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration_option(f.connect_timeout));
    options.io_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration_option(f.timeout));
    options.tracer = &ctx.tracer;
    if (f.tls) {
        auto tls = tls::make_client_context({f.cacert, !f.insecure});
        if (!tls) {
            throw UsageError(tls.error().message);
        }
        options.tls = *tls;
        options.tls_host = url.host;
    }

    ftp::FtpClientSession session(config);
    std::optional<ftp::FtpClientRun> run;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            run = co_await ftp::run_ftp_client(options, session, *local);
        },
        asio::detached);
    io.run();
    if (from_file) {
        from_file->finish();
    }

    if (!run || !run->connected) {
        if (to_file) {
            to_file->abandon();
        }
        std::cerr << program << ": cannot connect to " << server.to_string() << ": "
                  << (run ? run->connect_failure : "no result") << "\n";
        return 7;
    }
    const ftp::FtpClientDone& done = run->done;
    if (!done.ok()) {
        if (to_file) {
            to_file->abandon();  // with --continue the part stays, to be continued
        }
        std::cerr << program << ": " << server.to_string() << ": " << done.problem << "\n";
        return exit_code(done);
    }
    if (done.already_complete) {
        log::info("ftp", (op == ftp::FtpOperation::get ? target.string() : config.path) +
                             " is already complete: nothing to transfer");
    }
    if (to_file) {
        if (auto why = to_file->commit()) {
            std::cerr << program << ": " << *why << "\n";
            return 1;
        }
    }
    return 0;
}

// --- the command line ----------------------------------------------------------------------

constexpr const char* kCommonHelp = R"(
URL: ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH (RFC 1738 3.2), with %XX for bytes that
would be misread ("%40" for '@' in a user name, "%20" for a space). The path is relative
to the login directory; %2F at its start makes it absolute (ftp://host/%2Fetc/motd).
Without a user l7 logs in as "anonymous" with the password "anonymous@" (RFC 1635); a
user's password comes from the URL, else the first line of --password-file, else
$L7_FTP_PASSWORD.

The dialogue (RFC 959): USER, PASS, TYPE, the command, QUIT. Data connections are
passive: EPSV (RFC 2428), or PASV when the server does not know EPSV; l7 connects to the
address it already talks to, with the port the server names, whatever address a 227
reply holds (servers behind NAT name private ones). --active makes l7 listen on its own
side of the control connection instead and announce that with EPRT (PORT when EPRT is
not understood); only a connection from the server's address is accepted. --trace
prints the control dialogue as C:/S: lines, the password hidden.

--tls (RFC 4217): AUTH TLS right after the greeting; the server's certificate must name
the URL's host and be trusted (the system's CAs, or --cacert). Then USER and PASS go
through TLS, and PBSZ 0 and PROT P protect each data connection, which resumes the
control connection's TLS session (servers such as vsftpd require that). Nothing falls
back to clear text: a server without AUTH TLS ends the session.

Exit status: 0 when all went well, 1 when the server refused a command or the transfer
failed, 2 for a usage error, 6 when the server's name does not resolve, 7 when no
connection could be made, 35 when TLS could not be set up (refused, or the certificate
or handshake failed), 67 when the log-in was refused.)";

struct VerbHelp {
    const char* name;
    const char* summary;
    const char* body;
    const char* examples;
};

CLI::App* add_verb(CLI::App& ftp_cmd, const VerbHelp& help, FtpClientFlags& f) {
    auto* cmd = ftp_cmd.add_subcommand(help.name, help.summary);
    add_common_options(*cmd, f.common);
    cmd->add_option("--password-file", f.password_file,
                    "The password, on the file's first line (else $L7_FTP_PASSWORD)")
        ->type_name("FILE");
    cmd->add_flag("--active", f.active,
                  "The server connects to l7 for the data (EPRT/PORT), not l7 to it");
    cmd->add_flag("--tls", f.tls,
                  "Protect the session with TLS (AUTH TLS, RFC 4217): the password, the "
                  "commands and every data connection (PBSZ 0, PROT P)");
    cmd->add_option("--cacert", f.cacert,
                    "With --tls: trust the certificates in this PEM file (e.g. a self-signed "
                    "one from `l7 tls cert`) instead of the system's")
        ->type_name("FILE");
    cmd->add_flag("--insecure", f.insecure,
                  "With --tls: accept any certificate (encrypted, but not checked: a man in the "
                  "middle could read everything)");
    add_client_timeouts(*cmd, f.timeout, f.connect_timeout);
    cmd->footer(std::string(help.body) + "\n" + kCommonHelp + "\n\nExamples:\n" + help.examples);
    return cmd;
}

void add_ls(CLI::App& ftp_cmd, Context& ctx) {
    auto f = std::make_shared<FtpClientFlags>();
    auto* cmd =
        add_verb(ftp_cmd,
                 {"ls", "List a directory of an FTP server",
                  R"(Lists the directory the URL names on stdout, as the server writes it: LIST by
default (lines like those of `ls -l`, whose layout RFC 959 leaves to the server),
NLST with --names (the names alone, one a line), MLSD with --mlsd (RFC 3659 7: one
"fact=value;... name" line per entry, the same on every server). Line ends become LF.)",
                  R"(  l7 ftp ls ftp://127.0.0.1:2121/
  l7 ftp ls --mlsd --trace ftp://ftp.example.org/pub/
  L7_FTP_PASSWORD=secret l7 ftp ls --names ftp://alice@127.0.0.1:2121/docs)"},
                 *f);
    cmd->add_option("URL", f->url, "ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIRECTORY")->required();
    cmd->add_flag("--names", f->names, "Names only (NLST)");
    cmd->add_flag("--mlsd", f->mlsd, "Machine-readable facts (MLSD, RFC 3659)");
    add_env_names(*cmd, "ftp");
    cmd->callback([f, &ctx] {
        ctx.action = [f, &ctx] { return run_client(ftp::FtpOperation::list, "ls", *f, ctx); };
    });
}

void add_get(CLI::App& ftp_cmd, Context& ctx) {
    auto f = std::make_shared<FtpClientFlags>();
    auto* cmd =
        add_verb(ftp_cmd,
                 {"get", "Download a file from an FTP server",
                  R"(Downloads the file the URL names (RETR) into -o FILE, by default into the URL's
last path segment in the current directory; -o - writes to stdout. The bytes go to a
temporary file beside the target, which replaces the target only once the server has
confirmed the transfer (226) and the byte count matches the size SIZE announced (RFC
3659 4): a broken transfer leaves the old file, if any, untouched. --continue resumes a
partial download: REST with the local file's size (RFC 3659 5), then the rest is
appended to the file itself. Binary (TYPE I) unless --ascii (TYPE A, CRLF line ends
become LF). A progress bar shows on a terminal once a transfer takes over a second.)",
                  R"(  l7 ftp get ftp://127.0.0.1:2121/pub/big.iso
  l7 ftp get --continue -o big.iso ftp://ftp.example.org/pub/big.iso
  l7 ftp get -o - ftp://alice:secret@127.0.0.1:2121/notes.txt | less)"},
                 *f);
    cmd->add_option("URL", f->url, "ftp://[USER[:PASSWORD]@]HOST[:PORT]/FILE")->required();
    cmd->add_option("-o,--output", f->output, "Where to save the file (- for stdout)")
        ->type_name("FILE");
    cmd->add_flag("-c,--continue", f->resume,
                  "Resume: fetch only what the local file lacks, and append it");
    cmd->add_flag("--ascii", f->ascii, "Text transfer (TYPE A): CRLF line ends become LF");
    add_env_names(*cmd, "ftp");
    cmd->callback([f, &ctx] {
        ctx.action = [f, &ctx] { return run_client(ftp::FtpOperation::get, "get", *f, ctx); };
    });
}

void add_put(CLI::App& ftp_cmd, Context& ctx) {
    auto f = std::make_shared<FtpClientFlags>();
    auto* cmd =
        add_verb(ftp_cmd,
                 {"put", "Upload a file to an FTP server",
                  R"(Uploads FILE to the path the URL names (STOR); a URL ending in '/' names a
directory, and the file keeps its local name there. --continue resumes a partial
upload: SIZE tells how much the server has (RFC 3659 4), and APPE sends the rest (REST
and STOR where APPE is not implemented); a file the server does not have yet is sent
whole. Binary (TYPE I) unless --ascii (TYPE A, LF line ends go out as CRLF). A
progress bar shows on a terminal once a transfer takes over a second.)",
                  R"(  l7 ftp put notes.txt ftp://127.0.0.1:2121/incoming/
  l7 ftp put --continue big.iso ftp://alice@127.0.0.1:2121/big.iso --password-file pw)"},
                 *f);
    cmd->add_option("FILE", f->file, "The local file to upload")->required();
    cmd->add_option("URL", f->url, "ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH (or DIR/)")
        ->required();
    cmd->add_flag("-c,--continue", f->resume,
                  "Resume: send only what the server's file lacks (SIZE, APPE)");
    cmd->add_flag("--ascii", f->ascii, "Text transfer (TYPE A): LF line ends go out as CRLF");
    add_env_names(*cmd, "ftp");
    cmd->callback([f, &ctx] {
        ctx.action = [f, &ctx] { return run_client(ftp::FtpOperation::put, "put", *f, ctx); };
    });
}

void add_mkdir(CLI::App& ftp_cmd, Context& ctx) {
    auto f = std::make_shared<FtpClientFlags>();
    auto* cmd = add_verb(
        ftp_cmd,
        {"mkdir", "Create a directory on an FTP server",
         R"(Creates the directory the URL names (MKD, RFC 959 4.1.3); its parent must exist.)",
         R"(  l7 ftp mkdir ftp://127.0.0.1:2121/incoming/new)"},
        *f);
    cmd->add_option("URL", f->url, "ftp://[USER[:PASSWORD]@]HOST[:PORT]/DIRECTORY")->required();
    add_env_names(*cmd, "ftp");
    cmd->callback([f, &ctx] {
        ctx.action = [f, &ctx] { return run_client(ftp::FtpOperation::mkdir, "mkdir", *f, ctx); };
    });
}

void add_rm(CLI::App& ftp_cmd, Context& ctx) {
    auto f = std::make_shared<FtpClientFlags>();
    auto* cmd = add_verb(
        ftp_cmd,
        {"rm", "Delete a file or an empty directory on an FTP server",
         R"(Deletes the file the URL names (DELE), or with --dir the directory (RMD, RFC 959
4.1.3), which servers remove only when it is empty.)",
         R"(  l7 ftp rm ftp://127.0.0.1:2121/incoming/old.txt
  l7 ftp rm --dir ftp://127.0.0.1:2121/incoming/new)"},
        *f);
    cmd->add_option("URL", f->url, "ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH")->required();
    cmd->add_flag("--dir", f->directory, "Remove a directory (RMD) rather than a file");
    add_env_names(*cmd, "ftp");
    cmd->callback([f, &ctx] {
        ctx.action = [f, &ctx] { return run_client(ftp::FtpOperation::remove, "rm", *f, ctx); };
    });
}

}  // namespace

void add_ftp_client_commands(CLI::App& ftp_cmd, Context& ctx) {
    add_ls(ftp_cmd, ctx);
    add_get(ftp_cmd, ctx);
    add_put(ftp_cmd, ctx);
    add_mkdir(ftp_cmd, ctx);
    add_rm(ftp_cmd, ctx);
}

}  // namespace l7::app
