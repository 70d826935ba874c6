// "Did it, or why not": the one result type of every decision that may refuse
// — lowering handlers, conv plans, grouping matches, pass legality checks. A
// refusal carries its reason, which `--explain` and the reports print.
//   Status check(...)         { if (bad) return Status::refuse("why"); return Status::success(); }
//   Expected<Plan> plan(...)  { if (bad) return Status::refuse("why"); return Plan{...}; }
#pragma once
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace convopt {

class [[nodiscard]] Status {
 public:
  static Status success() { return Status(); }
  // `reason` says why, for a person: "weights are not constant".
  static Status refuse(std::string reason) {
    assert(!reason.empty());
    return Status(std::move(reason));
  }
  bool ok() const { return reason_.empty(); }
  explicit operator bool() const { return ok(); }
  const std::string& reason() const { return reason_; }

 private:
  Status() = default;
  explicit Status(std::string reason) : reason_(std::move(reason)) {}
  std::string reason_;
};

// A value, or the refusal that stands in for it.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}
  Expected(Status refusal) : state_(std::move(refusal)) { assert(!std::get<Status>(state_).ok()); }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& operator*() { return std::get<T>(state_); }
  const T& operator*() const { return std::get<T>(state_); }
  T* operator->() { return &std::get<T>(state_); }
  const T* operator->() const { return &std::get<T>(state_); }
  // Why there is no value ("" when there is one).
  const std::string& reason() const {
    static const std::string none;
    return ok() ? none : std::get<Status>(state_).reason();
  }
  Status status() const { return ok() ? Status::success() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace convopt
