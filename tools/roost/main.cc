#include <iostream>

int main() {
  std::cout << "roost: under construction\n";
  return 0;
}
