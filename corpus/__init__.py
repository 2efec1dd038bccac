"""Minutes in, structured documents out: discovery, readers (text, ModernGov, PDF) and segmentation."""
