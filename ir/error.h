// Errors. InputError is the user's fault (bad model, bad option): exit code 2.
// Anything else that escapes is an internal error: exit code 1.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace convopt {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void throwInputError(fmt::format_string<Args...> format, Args&&... args) {
  throw InputError(fmt::format(format, std::forward<Args>(args)...));
}

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternalError = 1;
inline constexpr int kExitInputError = 2;

}  // namespace convopt
