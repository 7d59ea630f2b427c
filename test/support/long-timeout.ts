import { jest } from '@jest/globals';

// HTTP and end-to-end tests start real servers and databases; give them room on a busy machine.
jest.setTimeout(120_000);
