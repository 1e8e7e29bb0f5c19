/**
 * The states a frontend and its backend step through in xenstore (`enum xenbus_state`,
 * xen/include/public/io/xenbus.h), named as the header names them. libxl writes and waits
 * for them at device add and remove (spec §2.5, §2.6).
 *
 * @module
 */

/** `XenbusStateUnknown` = 0. */
export const XenbusStateUnknown = 0;
/** `XenbusStateInitialising` = 1: what libxl writes for a new device. */
export const XenbusStateInitialising = 1;
/** `XenbusStateInitWait` = 2: the backend is set up and waits for the frontend. */
export const XenbusStateInitWait = 2;
/** `XenbusStateInitialised` = 3. */
export const XenbusStateInitialised = 3;
/** `XenbusStateConnected` = 4. */
export const XenbusStateConnected = 4;
/** `XenbusStateClosing` = 5: what libxl writes to ask a backend to close. */
export const XenbusStateClosing = 5;
/** `XenbusStateClosed` = 6: the backend has closed. */
export const XenbusStateClosed = 6;
/** `XenbusStateReconfiguring` = 7. */
export const XenbusStateReconfiguring = 7;
/** `XenbusStateReconfigured` = 8. */
export const XenbusStateReconfigured = 8;
