#include "kernel/fs/lookup_cache.h"

#include <new>

namespace akuma::fs {

// One cached name, allocated with its name bytes behind it.
struct LookupCache::Entry {
    ListNode lru;
    Entry* hash_next;
    uint64_t hash;
    InodeRef directory;
    InodeRef inode;  // null: the name is absent
    size_t name_length;

    char* name_bytes() { return reinterpret_cast<char*>(this + 1); }
    std::string_view name() { return { name_bytes(), name_length }; }
};

LookupCache::Entry* LookupCache::entry_of(ListNode* node) { return list_owner<Entry, &Entry::lru>(node); }

LookupCache::LookupCache(size_t capacity) : m_capacity(capacity ? capacity : 1) {
    // About one entry a bucket when full; a power of two for the mask.
    m_bucket_count = 1;
    while (m_bucket_count < m_capacity)
        m_bucket_count <<= 1;
    m_buckets = new (std::nothrow) Entry*[m_bucket_count];
    if (!m_buckets)
        m_bucket_count = 0;  // caches nothing
    for (size_t i = 0; i < m_bucket_count; ++i)
        m_buckets[i] = nullptr;
}

LookupCache::~LookupCache() {
    clear();
    delete[] m_buckets;
}

uint64_t LookupCache::hash_of(const Inode* directory, std::string_view name) {
    // FNV-1a over the name, seeded with the directory's address.
    uint64_t hash = 0xcbf29ce484222325ull ^ (reinterpret_cast<uintptr_t>(directory) >> 4);
    for (char c : name) {
        hash ^= static_cast<uint8_t>(c);
        hash *= 0x100000001b3ull;
    }
    return hash ^ (hash >> 29);
}

LookupCache::Entry** LookupCache::bucket_for(uint64_t hash) const { return &m_buckets[hash & (m_bucket_count - 1)]; }

LookupCache::Entry* LookupCache::find_entry(const Inode* directory, std::string_view name, uint64_t hash) const {
    if (m_bucket_count == 0)
        return nullptr;
    for (Entry* entry = *bucket_for(hash); entry; entry = entry->hash_next) {
        if (entry->hash == hash && entry->directory.get() == directory && entry->name() == name)
            return entry;
    }
    return nullptr;
}

std::optional<InodeRef> LookupCache::find(const InodeRef& directory, std::string_view name) {
    Entry* entry = find_entry(directory.get(), name, hash_of(directory.get(), name));
    if (!entry) {
        ++m_misses;
        return std::nullopt;
    }
    ++m_hits;
    m_lru.remove(entry->lru);  // most recently used now
    m_lru.push_back(entry->lru);
    return entry->inode;
}

void LookupCache::insert(const InodeRef& directory, std::string_view name, const InodeRef& inode) {
    if (m_bucket_count == 0)
        return;
    uint64_t hash = hash_of(directory.get(), name);
    if (Entry* old = find_entry(directory.get(), name, hash))
        remove(old);
    while (m_lru.size() >= m_capacity) {
        remove(entry_of(m_lru.front()));
        ++m_evictions;
    }
    void* memory = ::operator new(sizeof(Entry) + name.size(), std::nothrow);
    if (!memory)
        return;
    auto* entry = new (memory) Entry { {}, nullptr, hash, directory, inode, name.size() };
    __builtin_memcpy(entry->name_bytes(), name.data(), name.size());
    Entry** bucket = bucket_for(hash);
    entry->hash_next = *bucket;
    *bucket = entry;
    m_lru.push_back(entry->lru);
    if (!inode)
        ++m_negative_entries;
}

void LookupCache::remove(Entry* entry) {
    Entry** link = bucket_for(entry->hash);
    while (*link != entry)
        link = &(*link)->hash_next;
    *link = entry->hash_next;
    m_lru.remove(entry->lru);
    if (!entry->inode)
        --m_negative_entries;
    entry->~Entry();  // drops its references (may destroy the inodes)
    ::operator delete(entry);
}

void LookupCache::forget(const InodeRef& directory, std::string_view name) {
    if (Entry* entry = find_entry(directory.get(), name, hash_of(directory.get(), name)))
        remove(entry);
}

void LookupCache::forget_directory(const Inode* directory) {
    for (ListNode* node = m_lru.front(); node;) {
        ListNode* next = node->next;
        if (entry_of(node)->directory.get() == directory)
            remove(entry_of(node));
        node = next;
    }
}

void LookupCache::forget_file_system(const FileSystem& fs) {
    for (ListNode* node = m_lru.front(); node;) {
        ListNode* next = node->next;
        if (&entry_of(node)->directory->file_system() == &fs)
            remove(entry_of(node));
        node = next;
    }
}

void LookupCache::clear() {
    while (ListNode* node = m_lru.front())
        remove(entry_of(node));
}

LookupCache::Stats LookupCache::stats() const {
    return { m_lru.size(), m_negative_entries, m_hits, m_misses, m_evictions };
}


}  // namespace akuma::fs
