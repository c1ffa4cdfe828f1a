export { type ApiKeyIdentity, ApiKeyRepository, ROLES, type Role } from './api-keys.js';
