#pragma once
// Directory listings and file facts, as FTP sends them:
//   LIST  the "ls -l" lines every client parses (RFC 959 leaves the format open; this is the
//         UNIX form that curl, lftp, ftplib and browsers expect);
//   NLST  names only (RFC 959 4.1.3);
//   MLSD / MLST  machine-readable facts (RFC 3659 7): "type=file;size=42;modify=...; name";
//   MDTM  time-val (RFC 3659 2.3): "YYYYMMDDHHMMSS" in UTC.

#include <cstdint>
#include <string>
#include <string_view>

namespace l7::ftp {

struct FtpFileInfo {
    enum class Type { file, directory, other };
    std::string name;  // the last component; "" for the root itself
    Type type = Type::file;
    std::uint64_t size = 0;
    std::int64_t modified = 0;  // Unix time
    std::uint32_t mode = 0644;  // permission bits, for LIST
};

// "YYYYMMDDHHMMSS" (UTC) of a Unix time.
std::string time_val(std::int64_t unix_time);

// One LIST line without CRLF: "-rw-r--r-- 1 ftp ftp 1234 Dec 01 10:30 name". The time is
// "HH:MM" within six months of `now`, the year otherwise (as ls does).
std::string list_line(const FtpFileInfo& info, std::int64_t now);

// RFC 3659 7.5: the facts and the name, without the leading space MLST puts before it.
// `type_fact` is "cdir" for the listed directory itself, else derived from the type. `perm`
// says what the user may do (7.5.5), from `writable`.
std::string mlsx_line(const FtpFileInfo& info, bool writable, std::string_view type_fact = {});

}  // namespace l7::ftp
