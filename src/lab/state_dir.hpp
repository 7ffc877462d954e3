#pragma once
// Where a running lab keeps what its services write: the web sites' document roots, the
// shop's database, access logs. One directory per user, $XDG_RUNTIME_DIR/l7-lab (or
// /tmp/l7-lab-UID), emptied when a lab starts: every lab begins from the same state.

#include <filesystem>
#include <string>

namespace l7::lab {

// $XDG_RUNTIME_DIR/l7-lab, or /tmp/l7-lab-UID without XDG_RUNTIME_DIR.
std::filesystem::path default_state_dir();

// The state directory of this process's lab: the first call removes what an earlier lab
// left there and creates it afresh (mode 0700); later calls return the same path. The
// directory stays locked while the process runs, so a second lab of the same user fails
// here rather than wiping the first one's files. Throws std::runtime_error (one sentence
// naming the path) when the directory is another user's, is locked by a running lab, or
// cannot be made.
const std::filesystem::path& lab_state_dir();

}  // namespace l7::lab
