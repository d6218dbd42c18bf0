// Lint of the console: TypeScript's recommended rules and the accessibility rules of
// eslint-plugin-jsx-a11y (labels, keyboard use, roles), strict.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import jsxA11y from "eslint-plugin-jsx-a11y";

export default tseslint.config(
  { ignores: ["node_modules", "src/api/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  jsxA11y.flatConfigs.strict,
  {
    files: ["src/**/*.{ts,tsx}"],
    languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
    rules: { "@typescript-eslint/no-explicit-any": "error" },
  },
);
