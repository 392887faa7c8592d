// The lookup cache (Linux's dcache in its simplest useful form): what a
// name in a directory resolved to, an inode or nothing at all (a negative
// entry: the name is known to be absent), so a repeated path walk does not
// ask the file system again. For tmpfs this turns a scan of the directory's
// entries into one hash probe; for a disk file system (ext2) it is what keeps
// walks from re-reading directory blocks. Negative entries serve the
// searches that mostly miss: $PATH lookups, the dynamic loader's library
// path.
//
// Entries hold references to both the directory and the inode, as dentries
// pin their inodes, and are evicted least recently used first beyond the
// capacity. Only file systems that change their names solely through the VFS
// are cached (FileSystem::lookups_cacheable): the VFS forgets a name after
// every change of it (create, link, unlink, rmdir, rename), a removed
// directory's entries, and a file system's entries before it is unmounted.
//
// Not thread-safe by itself: the caller holds the VFS lock, as for every
// file system call. Host-tested (tests/host/lookup_cache_test.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/lib/intrusive_list.h"

namespace akuma::fs {

class LookupCache {
public:
    static constexpr size_t k_default_capacity = 4096;

    explicit LookupCache(size_t capacity = k_default_capacity);
    ~LookupCache();
    LookupCache(const LookupCache&) = delete;
    LookupCache& operator=(const LookupCache&) = delete;

    // nullopt: not cached. Otherwise what the name resolved to: an inode, or
    // a null InodeRef for a name known to be absent (NotFound).
    std::optional<InodeRef> find(const InodeRef& directory, std::string_view name);
    // Records a lookup's result (a null inode: absent), replacing any entry
    // for the name. Without memory nothing is cached (the cache is only an
    // accelerator).
    void insert(const InodeRef& directory, std::string_view name, const InodeRef& inode);

    void forget(const InodeRef& directory, std::string_view name);
    // Every entry of names in `directory` (it was removed).
    void forget_directory(const Inode* directory);
    // Every entry whose directory belongs to `fs` (before an unmount: the
    // entries' references would keep it busy).
    void forget_file_system(const FileSystem& fs);
    // Everything (memory accounting, "drop caches").
    void clear();

    struct Stats {
        size_t entries;
        size_t negative_entries;
        uint64_t hits;
        uint64_t misses;
        uint64_t evictions;
    };
    Stats stats() const;

private:
    struct Entry;
    static Entry* entry_of(ListNode* node);
    static uint64_t hash_of(const Inode* directory, std::string_view name);
    Entry** bucket_for(uint64_t hash) const;
    Entry* find_entry(const Inode* directory, std::string_view name, uint64_t hash) const;
    void remove(Entry* entry);

    size_t m_capacity;
    size_t m_bucket_count;
    Entry** m_buckets;
    NodeQueue m_lru;  // least recently used first
    size_t m_negative_entries { 0 };
    uint64_t m_hits { 0 };
    uint64_t m_misses { 0 };
    uint64_t m_evictions { 0 };
};

}  // namespace akuma::fs
