// PROJ is loaded on first use (dlopen), not when landtrack starts: libproj.so pulls in libtiff,
// libcurl and their libraries (about twenty), whose loading took ~10 ms of every command's start,
// though a summary or a block analysis at gap 0 calls no PROJ function.
#ifndef LANDTRACK_CPROJ_LOADER_H
#define LANDTRACK_CPROJ_LOADER_H

// Nothing to call: the first PROJ function landtrack calls opens the library (proj_loader.c).

#endif
