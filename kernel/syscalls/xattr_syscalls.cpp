// The extended-attribute calls (getxattr, setxattr, listxattr, removexattr
// and their l- and f- forms). None of Akuma's file systems stores extended
// attributes (ext2's are not read or written, tmpfs keeps none), so each call
// answers as Linux does for a file system without xattr support, after the
// same argument checks: the path or descriptor must exist (ENOENT, EBADF, ...),
// a name must be 1..255 bytes (ERANGE), then get/set/remove fail with
// EOPNOTSUPP and list returns an empty list. ls, cp -a, tar and Python's
// shutil treat that as "no attributes".
#include "kernel/syscalls/file_helpers.h"

namespace akuma::sys {

namespace {

constexpr size_t k_xattr_name_max = 255;  // XATTR_NAME_MAX

// The file a call names: a path (following a final symlink or not), or a
// descriptor (any but O_PATH, as Linux's fgetxattr).
ErrorOr<void> check_target(const SyscallArgs& args, bool by_fd, bool follow) {
    if (by_fd) {
        auto file = TRY(FileRef::from_fd(args.fd(0)));
        if (file->is_path())
            return Error::BadFd;
        return {};
    }
    auto path = TRY(UserPath::copy(args.ptr<const char>(0)));
    auto base = TRY(directory_for(linux_abi::k_at_fdcwd, path.view()));
    TRY(fs::resolve_path(base, path.view(), follow));
    return {};
}

ErrorOr<void> check_name(const SyscallArgs& args) {
    char name[k_xattr_name_max + 1];
    auto length = mm::copy_string_from_user(name, sizeof(name), args.ptr<const char>(1));
    if (length.is_error())
        return length.error() == Error::NameTooLong ? Error::OutOfRange : length.error();
    if (length.value() == 0 || length.value() > k_xattr_name_max)
        return Error::OutOfRange;
    return {};
}

int64_t named_attribute_call(const SyscallArgs& args, bool by_fd, bool follow) {
    if (auto target = check_target(args, by_fd, follow); target.is_error())
        return error_result(target.error());
    if (auto name = check_name(args); name.is_error())
        return error_result(name.error());
    return error_result(Error::NotSupported);
}

int64_t list_call(const SyscallArgs& args, bool by_fd, bool follow) {
    if (auto target = check_target(args, by_fd, follow); target.is_error())
        return error_result(target.error());
    return 0;  // the list is empty
}

}  // namespace

int64_t sys_getxattr(const SyscallArgs& args) { return named_attribute_call(args, false, true); }
int64_t sys_lgetxattr(const SyscallArgs& args) { return named_attribute_call(args, false, false); }
int64_t sys_fgetxattr(const SyscallArgs& args) { return named_attribute_call(args, true, true); }
int64_t sys_setxattr(const SyscallArgs& args) { return named_attribute_call(args, false, true); }
int64_t sys_lsetxattr(const SyscallArgs& args) { return named_attribute_call(args, false, false); }
int64_t sys_fsetxattr(const SyscallArgs& args) { return named_attribute_call(args, true, true); }
int64_t sys_removexattr(const SyscallArgs& args) { return named_attribute_call(args, false, true); }
int64_t sys_lremovexattr(const SyscallArgs& args) { return named_attribute_call(args, false, false); }
int64_t sys_fremovexattr(const SyscallArgs& args) { return named_attribute_call(args, true, true); }
int64_t sys_listxattr(const SyscallArgs& args) { return list_call(args, false, true); }
int64_t sys_llistxattr(const SyscallArgs& args) { return list_call(args, false, false); }
int64_t sys_flistxattr(const SyscallArgs& args) { return list_call(args, true, true); }

}  // namespace akuma::sys
