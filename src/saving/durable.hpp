// Internal: the file-system side of crash-safe saves. A save writes
// "<path>.tmp-<pid>-XXXXXX", flushes it to disk, renames it over <path> and
// flushes the directory, so that after a crash or power loss <path> is the
// old file or the new one, never a partial one. A process killed mid-save
// leaves its temporary behind; the next save or load of the same path
// removes the temporaries whose process is gone.
#pragma once
#include <string>

namespace keras::saving {

// "<path>.tmp-": every temporary of `path` starts with it (libzip's own
// temporary, made next to ours, too).
std::string temporary_prefix(const std::string& path);
// Removes temporaries of `path` left by processes that no longer run.
// Returns how many were removed. Never throws.
int remove_stale_temporaries(const std::string& path);
// fsync of a written file (IOError naming `target` on failure).
void sync_file(const std::string& file, const std::string& target);
// fsync of the directory holding `path` (best effort: some file systems
// refuse it).
void sync_directory_of(const std::string& path);

}  // namespace keras::saving
