// Internal to persistence/embedded_postgres.cpp: the operating-system side of the embedded
// cluster (the postgres OS user, ownership, running its programs, private files). Every failure
// throws std::runtime_error("embedded PostgreSQL: …").
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace rm::persistence::detail {

struct os_user {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

std::runtime_error failure(const std::string& what);

// The newest /usr/lib/postgresql/<major>/bin holding pg_ctl; "" when there is none.
std::string newest_bin_dir();

// The postgres OS user with its groups; throws when there is none.
os_user postgres_user();

// postgres must be able to walk down to `dir`; /root (0700) is the usual trap. Throws otherwise.
void require_traversable(const std::filesystem::path& dir, const os_user& u);

// lchown of `dir` and everything below it (links not followed) to `u`.
void chown_tree(const std::filesystem::path& dir, const os_user& u);

// Runs argv (as postgres through runuser(1) when `as_postgres`) in `cwd` with stdin from
// `input`, stdout/stderr appended to `log`; returns the exit code (128 + signal when killed).
// The child starts with no blocked signals and default handlers, whatever the caller blocked
// (ringmaster blocks SIGINT/SIGTERM for its sigwait).
int run(std::vector<std::string> argv, bool as_postgres, const std::string& log,
        const std::string& cwd, const std::string& input = "/dev/null");

// The last `lines` lines of a file, each on a new line indented by two spaces (for messages).
std::string log_tail(const std::string& path, std::size_t lines = 30);

// Line `n` (1-based) of postmaster.pid: 4 port, 5 first socket directory, 6 first listen
// address ("" without TCP). nullopt when the file or the line is missing.
std::optional<std::string> pid_file_line(const std::filesystem::path& data, int n);

// Writes `content` to `path` with mode 0600 through a temporary file and a rename, so a reader
// never sees a partial file and the mode is never wider.
void write_private_file(const std::filesystem::path& path, const std::string& content);

// 32 random bytes as hex: no character that .pgpass, a DSN or SQL would need to escape.
std::string generate_password();

// The password kept in the .pgpass-format file ("*:*:*:postgres:<password>"), "" when absent.
std::string read_password(const std::filesystem::path& pgpass);

}  // namespace rm::persistence::detail
