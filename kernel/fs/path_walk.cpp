#include "kernel/fs/path_walk.h"

#include <new>

#include "kernel/fs/file_system.h"
#include "kernel/fs/lookup_cache.h"
#include "kernel/fs/permission.h"

namespace akuma::fs {

// Literals as string_views: their length is known, no strlen call (the
// kernel is freestanding, so strlen of a literal is not folded).
using namespace std::string_view_literals;

namespace {

// Splits off the next component (skipping slashes); `rest` keeps what
// follows it, starting with '/' if anything does. (No substr/find: they
// would pull exceptions and memchr into the kernel.)
std::string_view take_component(std::string_view& rest) {
    size_t start = 0;
    while (start < rest.size() && rest[start] == '/')
        ++start;
    size_t end = start;
    while (end < rest.size() && rest[end] != '/')
        ++end;
    std::string_view component(rest.data() + start, end - start);
    rest = std::string_view(rest.data() + end, rest.size() - end);
    return component;
}

bool only_slashes(std::string_view text) {
    for (char c : text) {
        if (c != '/')
            return false;
    }
    return true;
}

// The symlinks a walk follows, held so that a target stays valid even if
// the link is removed meanwhile or was made up for this lookup (procfs's),
// with what is left of each path a link interrupted. At most
// k_max_symlinks of each and almost always none: only the slots in use are
// ever constructed, since a walk comes with every open and stat.
class SymlinkStack {
public:
    SymlinkStack() {}
    ~SymlinkStack() {
        for (size_t i = 0; i < m_links; ++i)
            m_held[i].~InodeRef();
    }
    SymlinkStack(const SymlinkStack&) = delete;
    SymlinkStack& operator=(const SymlinkStack&) = delete;

    size_t links() const { return m_links; }
    void hold(InodeRef link) { new (&m_held[m_links++]) InodeRef(std::move(link)); }

    bool has_pending() const { return m_pending_count != 0; }
    void push_pending(std::string_view rest) { new (&m_pending[m_pending_count++]) std::string_view(rest); }
    std::string_view pop_pending() { return m_pending[--m_pending_count]; }

private:
    union {
        InodeRef m_held[k_max_symlinks];
    };
    union {
        std::string_view m_pending[k_max_symlinks];
    };
    size_t m_links = 0;
    size_t m_pending_count = 0;
};

}  // namespace

InodeRef top_of_mounts(const Namespace& ns, InodeRef directory) {
    if (!ns.mounts)
        return directory;
    while (directory->is_mount_point()) {
        InodeRef top = ns.mounts->mounted_on(directory);
        if (!top)
            break;
        directory = std::move(top);
    }
    return directory;
}

namespace {

bool is_file_system_root(const InodeRef& directory) {
    return directory == directory->file_system().root();
}

}  // namespace

ErrorOr<void> check_search(const Namespace& ns, const Inode& directory) {
    if (!ns.credentials)
        return {};
    return check_access(*ns.credentials, directory, k_may_exec);
}

ErrorOr<void> check_name(std::string_view name) {
    if (name.empty() || name == "."sv || name == ".."sv)
        return Error::Invalid;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    for (char c : name) {
        if (c == '/' || c == '\0')
            return Error::Invalid;
    }
    return {};
}

ErrorOr<InodeRef> lookup_child(const Namespace& ns, const InodeRef& directory, std::string_view name) {
    FileSystem& fs = directory->file_system();
    if (!ns.lookups || !fs.lookups_cacheable())
        return fs.lookup(directory, name);
    if (auto cached = ns.lookups->find(directory, name)) {
        if (!*cached)
            return Error::NotFound;
        return std::move(*cached);
    }
    auto found = fs.lookup(directory, name);
    if (!found.is_error())
        ns.lookups->insert(directory, name, found.value());
    else if (found.error() == Error::NotFound)
        ns.lookups->insert(directory, name, InodeRef {});
    return found;
}

ErrorOr<InodeRef> walk_up(const Namespace& ns, const InodeRef& directory) {
    InodeRef current = directory;
    // At a mount's root, ".." is taken from the directory it covers (which
    // may itself be the root of a file system mounted further down).
    while (current != ns.root && ns.mounts && is_file_system_root(current)) {
        InodeRef covered = ns.mounts->covered_by(current);
        if (!covered)
            break;
        current = std::move(covered);
    }
    // ".." at the root stays there, as the walk sees the root: the top of
    // what is mounted on it, like "/" (Linux: follow_dotdot, then
    // step_into crosses the mounts on the root).
    if (current == ns.root)
        return top_of_mounts(ns, std::move(current));
    return top_of_mounts(ns, TRY(current->file_system().parent(current)));
}

ErrorOr<InodeRef> walk_path(const Namespace& ns, const InodeRef& base, std::string_view path,
                            bool follow_final_symlink) {
    if (path.empty())
        return Error::NotFound;
    if (path.size() >= k_max_path)
        return Error::NameTooLong;
    SymlinkStack symlinks;
    bool must_be_directory = false;
    InodeRef current = top_of_mounts(ns, path[0] == '/' ? ns.root : base);
    std::string_view rest = path;
    for (;;) {
        std::string_view name = take_component(rest);
        if (name.empty()) {
            if (!symlinks.has_pending())
                break;
            rest = symlinks.pop_pending();
            continue;
        }
        if (!current->is_directory())
            return Error::NotADirectory;
        TRY(check_search(ns, *current));
        if (name.size() > k_max_name)
            return Error::NameTooLong;
        const bool is_last = !symlinks.has_pending() && only_slashes(rest);
        if (is_last && !rest.empty())
            must_be_directory = true;  // "name/"
        if (name == "."sv)
            continue;
        if (name == ".."sv) {
            current = TRY(walk_up(ns, current));
            continue;
        }
        InodeRef child = TRY(lookup_child(ns, current, name));
        if (child->type() == InodeType::Symlink && (!is_last || follow_final_symlink || must_be_directory)) {
            if (symlinks.links() >= k_max_symlinks)
                return Error::SymlinkLoop;
            // A magic link goes straight to its description's inode (one
            // without, a pipe's, is only its name).
            if (InodeRef target = child->file_system().magic_link_inode(child)) {
                symlinks.hold(std::move(child));
                current = target->is_directory() ? top_of_mounts(ns, std::move(target)) : std::move(target);
                continue;
            }
            std::string_view target = TRY(child->file_system().readlink(child));
            if (target.empty())
                return Error::NotFound;
            symlinks.hold(child);
            if (!only_slashes(rest))
                symlinks.push_pending(rest);
            rest = target;
            if (rest[0] == '/')
                current = top_of_mounts(ns, ns.root);
            continue;
        }
        current = child->is_directory() ? top_of_mounts(ns, std::move(child)) : std::move(child);
    }
    if (must_be_directory && !current->is_directory())
        return Error::NotADirectory;
    return current;
}

ErrorOr<ParentAndName> walk_to_parent(const Namespace& ns, const InodeRef& base, std::string_view path) {
    if (path.empty())
        return Error::NotFound;
    if (path.size() >= k_max_path)
        return Error::NameTooLong;
    size_t end = path.size();
    while (end > 0 && path[end - 1] == '/')
        --end;
    if (end == 0)
        return Error::Invalid;  // "/"
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        --start;
    std::string_view name(path.data() + start, end - start);
    if (name == "."sv || name == ".."sv)
        return Error::Invalid;
    if (name.size() > k_max_name)
        return Error::NameTooLong;
    // The prefix keeps its '/', so the walk insists on a directory.
    InodeRef directory = start > 0 ? TRY(walk_path(ns, base, std::string_view(path.data(), start), true))
                                   : top_of_mounts(ns, base);
    if (!directory->is_directory())
        return Error::NotADirectory;
    TRY(check_search(ns, *directory));
    return ParentAndName { std::move(directory), name, end < path.size() };
}

ErrorOr<size_t> directory_path(const Namespace& ns, const InodeRef& directory, std::span<char> buffer) {
    if (!directory->is_directory())
        return Error::NotADirectory;
    // Built backwards from the end of the buffer, then moved to the front.
    size_t start = buffer.size();
    auto prepend = [&](std::string_view text) {
        if (text.size() > start)
            return false;
        start -= text.size();
        __builtin_memcpy(buffer.data() + start, text.data(), text.size());
        return true;
    };
    if (!prepend(std::string_view("", 1)))
        return Error::OutOfRange;
    InodeRef current = directory;
    bool named_any = false;
    while (current != ns.root) {
        if (is_file_system_root(current)) {
            InodeRef covered = ns.mounts ? ns.mounts->covered_by(current) : InodeRef();
            if (!covered)
                return Error::NotFound;  // not reachable from the root any more
            current = std::move(covered);
            continue;
        }
        FileSystem& fs = current->file_system();
        InodeRef parent = TRY(fs.parent(current));
        bool found = false;
        for (size_t index = 2;;) {
            auto entry = TRY(fs.directory_entry(parent, index));
            if (!entry)
                break;
            index = entry->next_index ? entry->next_index : index + 1;
            if (entry->ino != current->ino())
                continue;
            if (!prepend(entry->name) || !prepend("/"))
                return Error::OutOfRange;
            found = true;
            break;
        }
        if (!found)
            return Error::NotFound;
        named_any = true;
        current = std::move(parent);
    }
    if (!named_any && !prepend("/"))
        return Error::OutOfRange;
    size_t length = buffer.size() - start;
    __builtin_memmove(buffer.data(), buffer.data() + start, length);
    return length;
}

}  // namespace akuma::fs
