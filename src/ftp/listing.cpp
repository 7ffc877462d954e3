#include "ftp/listing.hpp"

#include <array>
#include <ctime>

namespace l7::ftp {
namespace {

std::tm utc(std::int64_t unix_time) {
    const auto t = static_cast<std::time_t>(unix_time);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return tm;
}

std::string two(int n) {
    return std::string(1, static_cast<char>('0' + n / 10)) + static_cast<char>('0' + n % 10);
}

std::string permissions(const FtpFileInfo& info) {
    std::string out;
    out += info.type == FtpFileInfo::Type::directory ? 'd' : '-';
    constexpr std::string_view rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) {
        out += (info.mode & (0400u >> i)) ? rwx[static_cast<std::size_t>(i)] : '-';
    }
    return out;
}

}  // namespace

std::string time_val(std::int64_t unix_time) {
    const std::tm tm = utc(unix_time);
    return std::to_string(tm.tm_year + 1900) + two(tm.tm_mon + 1) + two(tm.tm_mday) +
           two(tm.tm_hour) + two(tm.tm_min) + two(tm.tm_sec);
}

std::string list_line(const FtpFileInfo& info, std::int64_t now) {
    static constexpr std::array<const char*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::tm tm = utc(info.modified);
    constexpr std::int64_t kSixMonths = 182LL * 24 * 3600;
    const bool recent = info.modified <= now + 3600 && now - info.modified < kSixMonths;
    std::string out = permissions(info);
    out += " 1 ftp ftp ";
    const std::string size = std::to_string(info.size);
    if (size.size() < 12) {
        out.append(12 - size.size(), ' ');
    }
    out += size;
    out += ' ';
    out += kMonths[static_cast<std::size_t>(tm.tm_mon)];
    out += ' ';
    out += two(tm.tm_mday);
    out += ' ';
    if (recent) {
        out += two(tm.tm_hour) + ":" + two(tm.tm_min);
    } else {
        out += ' ' + std::to_string(tm.tm_year + 1900);
    }
    out += ' ';
    out += info.name;
    return out;
}

std::string mlsx_line(const FtpFileInfo& info, bool writable, std::string_view type_fact) {
    const bool dir = info.type == FtpFileInfo::Type::directory;
    std::string out = "type=";
    if (!type_fact.empty()) {
        out += type_fact;
    } else {
        out += dir ? "dir" : (info.type == FtpFileInfo::Type::file ? "file" : "OS.unix=other");
    }
    if (!dir) {
        out += ";size=" + std::to_string(info.size);
    }
    out += ";modify=" + time_val(info.modified);
    // RFC 3659 7.5.5: a append, c create in, d delete, e enter, f rename, l list, m make
    // directory, p purge contents, r retrieve, w store.
    out += ";perm=";
    if (dir) {
        out += writable ? "cdeflmp" : "el";
    } else {
        out += writable ? "adfrw" : "r";
    }
    out += "; ";
    out += info.name;
    return out;
}

}  // namespace l7::ftp
