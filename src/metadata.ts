import { ConnectorPlatform, type ConnectorMetadata } from '@logto/connector-kit';

import { formItems } from './config.ts';
import { description, name } from './i18n.ts';

export const metadata: ConnectorMetadata = {
  // Logto refuses to start when two factories share an id, and its images already contain the
  // official Xiaomi connector as `xiaomi-universal`: this one must be installable beside it.
  id: 'xiaomi-universal-plus',
  // The identity key stored with each user. Same as the official connector's, so users it
  // created keep their accounts after a switch (both use the profile's unionId as the user id).
  target: 'xiaomi',
  platform: ConnectorPlatform.Universal,
  name,
  description,
  logo: './logo.svg',
  logoDark: './logo-dark.svg',
  // Logto's console shows this file beside the connector's form: the admin's guide, with absolute
  // links only (the console opens relative ones inside itself).
  readme: './docs/console-guide.md',
  isStandard: false,
  isTokenStorageSupported: true,
  formItems,
};
