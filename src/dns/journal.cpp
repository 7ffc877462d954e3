#include "dns/journal.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dns/rdata.hpp"

namespace l7::dns {
namespace {

constexpr char kMagic[4] = {'L', '7', 'J', '1'};
constexpr std::size_t kEntryHeader = 12;
constexpr std::size_t kMaxEntry = 64 * 1024 * 1024;

std::uint32_t get_u32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

void put_u32(Bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        b.push_back(static_cast<std::uint8_t>(v >> shift));
    }
}

std::uint32_t crc_of(std::span<const std::uint8_t> data) {
    return static_cast<std::uint32_t>(
        crc32(crc32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Bytes encode_journal_entry(const Name& origin, const ZoneDiff& diff) {
    Message m;
    m.questions.push_back({origin, RRType::SOA, RRClass::IN});
    m.answers = diff.removed;
    m.authority = diff.added;
    return encode_message(m, 65535 * 16);
}

Result<ZoneDiff> decode_journal_entry(std::span<const std::uint8_t> payload) {
    auto m = decode_message(payload);
    if (!m) {
        return make_error("journal entry: " + m.error().message);
    }
    if (m->answers.empty() || m->authority.empty() || m->answers.front().type != RRType::SOA ||
        m->authority.front().type != RRType::SOA) {
        return make_error("journal entry without its SOAs");
    }
    ZoneDiff d;
    d.from_serial = decode_soa(m->answers.front().rdata)->serial;
    d.to_serial = decode_soa(m->authority.front().rdata)->serial;
    d.removed = std::move(m->answers);
    d.added = std::move(m->authority);
    return d;
}

Result<JournalContents> read_journal(const std::string& path) {
    JournalContents out;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return out;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    const auto* data = reinterpret_cast<const std::uint8_t*>(text.data());
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (text.size() - pos < kEntryHeader || std::memcmp(data + pos, kMagic, 4) != 0) {
            out.warning =
                path + ": damaged entry at byte " + std::to_string(pos) + "; ignoring the rest";
            break;
        }
        const std::uint32_t length = get_u32(data + pos + 4);
        const std::uint32_t crc = get_u32(data + pos + 8);
        if (length > kMaxEntry || text.size() - pos - kEntryHeader < length) {
            out.warning =
                path + ": incomplete last entry at byte " + std::to_string(pos) + " (ignored)";
            break;
        }
        const auto payload = std::span(data + pos + kEntryHeader, length);
        if (crc_of(payload) != crc) {
            out.warning =
                path + ": checksum mismatch at byte " + std::to_string(pos) + "; ignoring the rest";
            break;
        }
        auto entry = decode_journal_entry(payload);
        if (!entry) {
            return make_error(path + ": " + entry.error().message);
        }
        out.entries.push_back(std::move(*entry));
        pos += kEntryHeader + length;
    }
    return out;
}

Result<bool> append_journal(const std::string& path, const Name& origin, const ZoneDiff& diff) {
    const Bytes payload = encode_journal_entry(origin, diff);
    // A change too large for one message would be cut short (TC, or counts past 65535): refuse
    // it rather than journal part of it.
    const auto h = read_header(payload);
    if (!h || h->tc || h->ancount != diff.removed.size() || h->nscount != diff.added.size()) {
        return make_error("the change is too large for one journal entry (" +
                          std::to_string(diff.removed.size()) + " removed, " +
                          std::to_string(diff.added.size()) + " added)");
    }
    Bytes entry(kMagic, kMagic + 4);
    put_u32(entry, static_cast<std::uint32_t>(payload.size()));
    put_u32(entry, crc_of(payload));
    entry.insert(entry.end(), payload.begin(), payload.end());
    const bool existed = ::access(path.c_str(), F_OK) == 0;
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return make_error("cannot open the journal " + path + ": " + std::strerror(errno));
    }
    std::size_t done = 0;
    while (done < entry.size()) {
        const ssize_t n = ::write(fd, entry.data() + done, entry.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            return make_error("cannot write the journal " + path + ": " + why);
        }
        done += static_cast<std::size_t>(n);
    }
    // The reply may only go out once the change is on disk.
    if (::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return make_error("cannot sync the journal " + path + ": " + why);
    }
    ::close(fd);
    if (!existed) {
        const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
    }
    return true;
}

}  // namespace l7::dns
