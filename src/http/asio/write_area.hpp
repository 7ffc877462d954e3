#pragma once
// PUT and DELETE of files under one path prefix of a document root (RFC 9110 sections 9.3.4
// and 9.3.5), for the users of a password file, with HTTP Basic authentication (RFC 7617).
// Off unless mounted: a server hands a request to the write area when accepts() says so,
// and everything else to its static site.
//
//   WriteArea area({.root = "/srv/www", .prefix = "/upload/", .realm = "uploads",
//                   .users = *PasswordFile::load("/etc/l7/uploaders")});
//   if (area.accepts(request)) return area.handle(request, body, peer);
//
//   PUT /upload/a.txt      201 Created with Location (new file) or 204 (replaced), ETag
//   DELETE /upload/a.txt   204, or 404 when there is no such file
//   OPTIONS /upload/...    204 with Allow: GET, HEAD, OPTIONS, PUT, DELETE
//
// Order of the checks: the target (400/414), the credentials (401 with the challenge, so
// nothing about the files is told to a stranger), then the path as the static site judges
// it (400 climbing above the root, 404 dotfiles, 403 a symlink out of the root), then the
// file system: no directory is created (409 when the parent is missing or not a directory),
// a directory is never a target (405), and If-Match / If-None-Match are evaluated against
// the ETag the static site sends (412, RFC 9110 section 13.2). A PUT with Content-Range is
// refused (400, RFC 9110 9.3.4: partial PUT is not supported).
//
// A PUT is durable before it is acknowledged: the body goes to a hidden temporary file in
// the target's directory, is fsynced, renamed over the target (or linked, for a new file,
// so that two creators cannot both get 201) and the directory is fsynced (StagedFile). A
// request cut short never reaches the handler (the server reads the whole body first), so it
// leaves nothing behind. The body size is bounded by the server's body limit.
//
// Each refusal of credentials is logged with the peer and the user, never the password; each
// write is logged with the peer, the user and the status.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/password_file.hpp"
#include "http/asio/server.hpp"

namespace l7::http {

struct WriteAreaOptions {
    std::filesystem::path root;  // the document root, which must exist
    // URL path under which files may be written: "/upload/" covers "/upload" and everything
    // below it; "/" the whole root. Normalised to start and end with '/'.
    std::string prefix = "/";
    std::string realm = "l7";                   // shown by browsers in the login dialog
    std::shared_ptr<const PasswordFile> users;  // required
};

class WriteArea {
  public:
    explicit WriteArea(WriteAreaOptions options);

    // Whether `path` (normalised, as TargetPath::path) lies under the prefix.
    bool covers(std::string_view path) const;
    // Whether `request` is this area's to answer: PUT, DELETE or OPTIONS of a covered path.
    // GET and HEAD stay with the static site; so does a target that does not parse (it
    // answers the 400).
    bool accepts(const Request& request) const;

    // Answers a request that accepts() took (others get 405 or 404).
    Reply handle(const Request& request, const std::string& body, const Peer& peer) const;

    const std::string& prefix() const { return options_.prefix; }

  private:
    Reply put(const Request& request, const std::string& body, const std::string& path,
              const std::string& who) const;
    Reply remove(const Request& request, const std::string& path, const std::string& who) const;

    WriteAreaOptions options_;
    std::filesystem::path real_root_;
};

}  // namespace l7::http
