import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initProject } from './state/project.ts';
import { App } from './ui/App.tsx';
import './ui/styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  // Restores the saved project (local storage only: nothing is fetched from the network here).
  void initProject();
}
