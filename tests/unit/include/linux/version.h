/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stand-in: the kernel version whose interfaces kstub.h models; 6.1
 * unless the build passes -DKSTUB_LINUX_VERSION=0xAABBCC (a.b.c)
 */
#ifndef KSTUB_VERSION_H
#define KSTUB_VERSION_H

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#ifdef KSTUB_LINUX_VERSION
#define LINUX_VERSION_CODE KSTUB_LINUX_VERSION
#else
#define LINUX_VERSION_CODE KERNEL_VERSION(6, 1, 0)
#endif

#endif
