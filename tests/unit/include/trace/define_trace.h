/* SPDX-License-Identifier: GPL-2.0 */
/* stand-in: trace events need no second pass in user space */
