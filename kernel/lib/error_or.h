// ErrorOr<T>: a value or an error code, with TRY() to propagate errors.
// Shared by the kernel and host tests, so it only uses header-only std parts.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

namespace akuma {

// Error codes mirror Linux errno values so the syscall boundary can return
// -static_cast<int>(error) directly.
enum class Error : int {
    NotPermitted = 1,         // EPERM
    NotFound = 2,             // ENOENT
    NoSuchProcess = 3,        // ESRCH
    Interrupted = 4,          // EINTR
    IoError = 5,              // EIO
    NoDeviceOrAddress = 6,    // ENXIO
    TooBig = 7,               // E2BIG
    BadExecutable = 8,        // ENOEXEC
    BadFd = 9,                // EBADF
    NoChild = 10,             // ECHILD
    TryAgain = 11,            // EAGAIN
    NoMemory = 12,            // ENOMEM
    AccessDenied = 13,        // EACCES
    Fault = 14,               // EFAULT
    NotABlockDevice = 15,     // ENOTBLK
    Busy = 16,                // EBUSY
    Exists = 17,              // EEXIST
    CrossDevice = 18,         // EXDEV
    NoDevice = 19,            // ENODEV
    NotADirectory = 20,       // ENOTDIR
    IsADirectory = 21,        // EISDIR
    Invalid = 22,             // EINVAL
    TooManyOpenFiles = 24,    // EMFILE
    NotATty = 25,             // ENOTTY
    TextBusy = 26,            // ETXTBSY
    FileTooBig = 27,          // EFBIG
    NoSpace = 28,             // ENOSPC
    IllegalSeek = 29,         // ESPIPE
    ReadOnlyFs = 30,          // EROFS
    TooManyLinks = 31,        // EMLINK
    BrokenPipe = 32,          // EPIPE
    OutOfDomain = 33,         // EDOM
    OutOfRange = 34,          // ERANGE
    DeadlockAvoided = 35,     // EDEADLK
    NameTooLong = 36,         // ENAMETOOLONG
    NotImplemented = 38,      // ENOSYS
    NotEmpty = 39,            // ENOTEMPTY
    SymlinkLoop = 40,         // ELOOP
    NoMessage = 42,           // ENOMSG: no System V message of the wanted type
    IdentifierRemoved = 43,   // EIDRM: the System V IPC object was removed
    Overflow = 75,            // EOVERFLOW
    BadSharedLibrary = 80,    // ELIBBAD: an ELF interpreter that is not one
    NotASocket = 88,          // ENOTSOCK
    DestinationRequired = 89, // EDESTADDRREQ
    MessageTooLong = 90,      // EMSGSIZE
    WrongProtocolType = 91,   // EPROTOTYPE
    NoProtocolOption = 92,    // ENOPROTOOPT
    ProtocolNotSupported = 93,  // EPROTONOSUPPORT
    SocketTypeNotSupported = 94,  // ESOCKTNOSUPPORT
    NotSupported = 95,        // EOPNOTSUPP
    FamilyNotSupported = 97,  // EAFNOSUPPORT
    AddressInUse = 98,        // EADDRINUSE
    AddressNotAvailable = 99,  // EADDRNOTAVAIL
    NetworkDown = 100,       // ENETDOWN
    NetworkUnreachable = 101,  // ENETUNREACH
    ConnectionAborted = 103,  // ECONNABORTED
    ConnectionReset = 104,    // ECONNRESET
    NoBufferSpace = 105,      // ENOBUFS
    AlreadyConnected = 106,   // EISCONN
    NotConnected = 107,       // ENOTCONN
    TimedOut = 110,           // ETIMEDOUT
    ConnectionRefused = 111,  // ECONNREFUSED
    HostUnreachable = 113,   // EHOSTUNREACH
    AlreadyInProgress = 114,  // EALREADY
    InProgress = 115,        // EINPROGRESS
    Corrupted = 117,          // EUCLEAN: a file system's on-disk structures are inconsistent
};

constexpr const char* error_name(Error error) {
    switch (error) {
    case Error::NotPermitted: return "EPERM";
    case Error::NotFound: return "ENOENT";
    case Error::NoSuchProcess: return "ESRCH";
    case Error::Interrupted: return "EINTR";
    case Error::IoError: return "EIO";
    case Error::NoDeviceOrAddress: return "ENXIO";
    case Error::TooBig: return "E2BIG";
    case Error::BadExecutable: return "ENOEXEC";
    case Error::BadFd: return "EBADF";
    case Error::NoChild: return "ECHILD";
    case Error::TryAgain: return "EAGAIN";
    case Error::NoMemory: return "ENOMEM";
    case Error::AccessDenied: return "EACCES";
    case Error::Fault: return "EFAULT";
    case Error::NotABlockDevice: return "ENOTBLK";
    case Error::Busy: return "EBUSY";
    case Error::Exists: return "EEXIST";
    case Error::CrossDevice: return "EXDEV";
    case Error::NoDevice: return "ENODEV";
    case Error::NotADirectory: return "ENOTDIR";
    case Error::IsADirectory: return "EISDIR";
    case Error::Invalid: return "EINVAL";
    case Error::TooManyOpenFiles: return "EMFILE";
    case Error::NotATty: return "ENOTTY";
    case Error::TextBusy: return "ETXTBSY";
    case Error::FileTooBig: return "EFBIG";
    case Error::NoSpace: return "ENOSPC";
    case Error::IllegalSeek: return "ESPIPE";
    case Error::ReadOnlyFs: return "EROFS";
    case Error::TooManyLinks: return "EMLINK";
    case Error::BrokenPipe: return "EPIPE";
    case Error::OutOfDomain: return "EDOM";
    case Error::OutOfRange: return "ERANGE";
    case Error::DeadlockAvoided: return "EDEADLK";
    case Error::NameTooLong: return "ENAMETOOLONG";
    case Error::NotImplemented: return "ENOSYS";
    case Error::NotEmpty: return "ENOTEMPTY";
    case Error::SymlinkLoop: return "ELOOP";
    case Error::NoMessage: return "ENOMSG";
    case Error::IdentifierRemoved: return "EIDRM";
    case Error::Overflow: return "EOVERFLOW";
    case Error::BadSharedLibrary: return "ELIBBAD";
    case Error::NotASocket: return "ENOTSOCK";
    case Error::DestinationRequired: return "EDESTADDRREQ";
    case Error::MessageTooLong: return "EMSGSIZE";
    case Error::WrongProtocolType: return "EPROTOTYPE";
    case Error::NoProtocolOption: return "ENOPROTOOPT";
    case Error::ProtocolNotSupported: return "EPROTONOSUPPORT";
    case Error::SocketTypeNotSupported: return "ESOCKTNOSUPPORT";
    case Error::NotSupported: return "EOPNOTSUPP";
    case Error::FamilyNotSupported: return "EAFNOSUPPORT";
    case Error::AddressInUse: return "EADDRINUSE";
    case Error::ConnectionReset: return "ECONNRESET";
    case Error::NoBufferSpace: return "ENOBUFS";
    case Error::AlreadyConnected: return "EISCONN";
    case Error::NotConnected: return "ENOTCONN";
    case Error::TimedOut: return "ETIMEDOUT";
    case Error::ConnectionRefused: return "ECONNREFUSED";
    case Error::AddressNotAvailable: return "EADDRNOTAVAIL";
    case Error::NetworkDown: return "ENETDOWN";
    case Error::NetworkUnreachable: return "ENETUNREACH";
    case Error::ConnectionAborted: return "ECONNABORTED";
    case Error::HostUnreachable: return "EHOSTUNREACH";
    case Error::AlreadyInProgress: return "EALREADY";
    case Error::InProgress: return "EINPROGRESS";
    case Error::Corrupted: return "EUCLEAN";
    }
    return "E?";
}

template <typename T>
class [[nodiscard]] ErrorOr {
public:
    ErrorOr(const T& value) : m_has_value(true) { new (&m_value) T(value); }
    ErrorOr(T&& value) : m_has_value(true) { new (&m_value) T(std::move(value)); }
    ErrorOr(Error error) : m_error(error), m_has_value(false) {}

    ErrorOr(const ErrorOr& other) : m_has_value(other.m_has_value) {
        if (m_has_value)
            new (&m_value) T(other.m_value);
        else
            m_error = other.m_error;
    }
    ErrorOr(ErrorOr&& other) : m_has_value(other.m_has_value) {
        if (m_has_value)
            new (&m_value) T(std::move(other.m_value));
        else
            m_error = other.m_error;
    }
    ErrorOr& operator=(const ErrorOr&) = delete;
    ~ErrorOr() {
        if (m_has_value)
            m_value.~T();
    }

    bool is_error() const { return !m_has_value; }
    Error error() const { return m_error; }
    T& value() { return m_value; }
    const T& value() const { return m_value; }
    T release_value() { return std::move(m_value); }

private:
    union {
        T m_value;
        Error m_error;
    };
    bool m_has_value;
};

template <>
class [[nodiscard]] ErrorOr<void> {
public:
    ErrorOr() = default;
    ErrorOr(Error error) : m_error(error), m_has_error(true) {}
    bool is_error() const { return m_has_error; }
    Error error() const { return m_error; }
    void release_value() {}

private:
    Error m_error {};
    bool m_has_error { false };
};

}  // namespace akuma

// Evaluates an ErrorOr expression; returns its error from the enclosing
// function, or yields the value. Uses a GNU statement expression (clang/gcc).
#define TRY(expression)                                    \
    ({                                                     \
        auto _try_result = (expression);                   \
        if (_try_result.is_error()) [[unlikely]]           \
            return _try_result.error();                    \
        _try_result.release_value();                       \
    })
