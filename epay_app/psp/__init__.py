"""PSP adapters behind one small gateway interface, and a local sandbox PSP. No reflex here."""
