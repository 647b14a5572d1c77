// Start-up settings tests (test_*_config.cpp): load_config with one environment variable set.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace rm::test {

// Sets an environment variable for the scope of one test (unset again afterwards).
struct scoped_env {
  std::string name;
  scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() { ::unsetenv(name.c_str()); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
};

// load_config(args, false, cfg) while `name` is `value`: the error it returns (none when the
// setting is accepted; `cfg` then holds what was read).
inline std::optional<app::config_error> load_with(const std::string& name,
                                                  const std::string& value, app::config& cfg,
                                                  const std::vector<std::string>& args = {}) {
  scoped_env env{name, value};
  return app::load_config(args, false, cfg);
}

}  // namespace rm::test
