// One vitest project per package; each package's vitest.config.ts holds its own settings.
export default ["packages/*/vitest.config.ts"]
