/**
 * The one AWS account every local service lives in: its region, its id, and the dummy
 * credentials local clients sign with (the emulators check the shape of a request; the local S3 also
 * checks signatures with these, as presigned uploads depend on it).
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** Credentials the local functions get, as Lambda would hand them real ones, and the emulator's own clients use. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' };
