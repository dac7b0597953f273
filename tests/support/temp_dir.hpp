// A fresh directory under the system's temporary directory, removed with everything in it when
// the object goes. `prefix` names the test that made it (mkdtemp's PREFIX.XXXXXX).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace bts::test {

struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& prefix) {
    std::string t = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
    path = ::mkdtemp(t.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  // Writes `text` to `name` in the directory; returns the file's path.
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace bts::test
