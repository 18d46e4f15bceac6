/** The Hub the studio downloads from; a mirror or the local test hub is set at build time. */
export const HUB_URL: string =
  (import.meta.env.VITE_HUB_URL as string | undefined) || 'https://huggingface.co';
