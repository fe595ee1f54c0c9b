// Anchor translation unit: keeps the library non-empty whatever its subfolders hold.
namespace cafelet::net {
extern const int library_anchor = 0;
} // namespace cafelet::net
