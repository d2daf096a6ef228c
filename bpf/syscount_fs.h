/* syscount_fs.h: fslat riding on syscount. When a collect step runs both,
 * syscount's BPF object carries fslat's kernel part (fs_part.bpf.h) and
 * its programs run both, so every syscall of the host meets one probe per
 * raw_syscalls tracepoint instead of two (docs/performance.md); fslat
 * then reads its maps from syscount's object. */
#ifndef FRIDAY_SYSCOUNT_FS_H
#define FRIDAY_SYSCOUNT_FS_H

#include "bpf/collector.h"
#include "bpf/variant.h"

/* Sets fslat's read-only knobs, from collector c (fslat), in obj before
 * its load (fslat.c). */
void fslat_configure(const struct collector *c, struct bpf_object *obj);
/* syscount's loaded object when it runs fslat's part for its rider, and
 * its attach kind; NULL otherwise (syscount.c). */
struct bpf_object *syscount_shared_object(struct collector *host, enum attach_kind *kind);

#endif
